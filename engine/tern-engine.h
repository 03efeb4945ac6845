/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The public face of libtern-engine. It includes no GTK header and never will. */
#include "tern-paths.h"
#include "tern-account.h"
#include "tern-account-manager.h"
#include "tern-credentials.h"
#include "tern-net-error.h"
#include "tern-certificate-info.h"
#include "tern-certificate-prompt.h"
#include "tern-protocol-log.h"
#include "tern-connection.h"
#include "tern-wait.h"
#include "tern-flags.h"
#include "tern-message-info.h"
#include "tern-store-changes.h"
#include "tern-store.h"
#include "tern-mime-summary.h"
#include "tern-search-query.h"
#include "tern-folder.h"
#include "tern-folder-tree.h"
#include "tern-message.h"
#include "tern-message-list.h"
