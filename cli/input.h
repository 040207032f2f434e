/* input.h - reading a command's input file or standard input */
#ifndef LEDGERCTL_INPUT_H
#define LEDGERCTL_INPUT_H

#include <stddef.h>

#include "ledger/error.h"

/* The largest input accepted by default: the daemon's body limit. */
#define INPUT_MAX (1u << 20)

/* Read path ("-" for standard input), at most max bytes.  *ret is
 * malloc'd. */
enum ledger_status read_input(const char *path, size_t max, char **ret,
    size_t *ret_len, struct ledger_error *err);

#endif
