/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tern-net"

#include "tern-net-error.h"

G_DEFINE_QUARK (tern-net-error-quark, tern_net_error)
