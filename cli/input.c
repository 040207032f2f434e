/* input.c - reading a command's input file or standard input */
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "ledger/file.h"

enum ledger_status
read_input(const char *path, size_t max, char **ret, size_t *ret_len,
    struct ledger_error *err)
{
	if (strcmp(path, "-") == 0)
		return ledger_read_fd(STDIN_FILENO, max, ret, ret_len, err);
	return ledger_read_file(path, max, ret, ret_len, err);
}
