/* testutil.c - helpers shared by the check suites */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

const char *
tu_mkdtemp(void)
{
	static char path[4096];
	const char *tmp = getenv("TMPDIR");

	snprintf(path, sizeof(path), "%s/ledger-test-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(path));
	return path;
}

void
tu_rmtree(const char *path)
{
	char cmd[4200];

	if (path == NULL || strncmp(path, "/", 1) != 0 ||
	    strstr(path, "ledger-test-") == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

int
tu_run(char **out, const char *fmt, ...)
{
	char *cmd = NULL, *buf = NULL;
	size_t len = 0, cap = 0;
	va_list ap;
	FILE *f;
	int st, n;

	/* No ck_assert here: this also runs outside tests (in main). */
	va_start(ap, fmt);
	n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((f = popen(cmd, "r")) == NULL) {
		free(cmd);
		return -1;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		n = (int)fread(buf + len, 1, cap - len - 1, f);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	st = pclose(f);
	free(cmd);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

char *
tu_slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	ck_assert_msg(f != NULL, "open %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = (size_t)len;
	return buf;
}

const char *
tu_env_dir(const char *name)
{
	const char *v = getenv(name);
	struct stat sb;

	if (v == NULL || *v == '\0' || stat(v, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return NULL;
	return v;
}

int
tu_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
