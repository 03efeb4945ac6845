/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The public face of libtern-engine. It includes no GTK header and never will. */
#include "tern-paths.h"
#include "tern-account.h"
#include "tern-account-manager.h"
#include "tern-credentials.h"
#include "tern-mime-summary.h"
