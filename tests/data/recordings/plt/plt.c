/* Calls libc through the PLT in a tight loop, so that cpu-clock samples land in PLT stubs
 * (on the recording machine mostly those of rand and random). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
    unsigned sum = 0;
    char buf[16] = "0123456789abcde";
    for (long i = 0; i < n; i++) {
        sum += (unsigned)rand();
        sum += (unsigned)random();
        sum += (unsigned)toupper((int)(sum & 0x7f));
        sum += (unsigned)strlen(buf + (sum & 7));
        sum += strchr(buf, (int)('a' + (sum & 3))) != NULL;
        sum += (unsigned)atoi(buf + (sum & 3));
    }
    printf("%u\n", sum);
    return 0;
}
