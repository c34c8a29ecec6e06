/* No -g: addr2line names these functions from the symbol table, with the STT_FILE name
   for a local one ("work" / "nodbg.c:?") and none for crt1's _start ("_start" / "??:?"). */
static volatile double sink;

__attribute__((noinline)) static void work(int n)
{
	for (int i = 0; i < n; i++)
		sink += i * 0.5;
}

int main(void)
{
	for (int k = 0; k < 16; k++)
		work(100000);
	return 0;
}
