/* headers-main.c - the public headers each compile on their own (the
 * other files of this test include one header each). */
#include <stdio.h>

int
main(void)
{
	puts("1 passed, 0 failed");
	return 0;
}
