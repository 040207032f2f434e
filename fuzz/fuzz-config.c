/*
 * fuzz-config.c - libFuzzer harness: ledgerd's configuration loader
 *
 * Input: the bytes of a configuration file, written to a private file
 * under $TMPDIR and loaded with config_load (ledgerd/config.c), as
 * `ledgerd -n -f FILE` does.  Invariants: a file with problems reports at
 * least one, each as a non-empty line; a valid one leaves a configuration
 * whose values are inside their documented ranges; nothing leaks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ledgerd.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];

static void
report(void *ctx, const char *msg)
{
	if (msg == NULL || msg[0] == '\0')
		abort();
	(*(int *)ctx)++;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	snprintf(path, sizeof(path), "%s/fuzz-config-XXXXXX",
	    tmp ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		abort();
	close(fd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	FILE *f = fopen(path, "we");
	int problems, reported = 0;

	if (f == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	config_defaults(&c);
	problems = config_load(path, &c, report, &reported);
	if (problems != reported)
		abort();
	if (problems == 0 && (c.max_connections < 1 ||
	    c.request_timeout_s < 1 || c.batch_max < 1 ||
	    c.max_body_bytes < 1024 || c.listen_host == NULL ||
	    c.data_dir == NULL))
		abort();
	config_free(&c);
	return 0;
}
