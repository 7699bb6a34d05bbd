/* bcryptprimitives.dll with the one function Go >= 1.22 needs at start: ProcessPrng.
 *
 * Wine before 8.13 has no bcryptprimitives.dll, and Go's runtime stops with "bcryptprimitives.dll not found"
 * before main. gocross builds this file at first use and installs it only into its own wine prefix, only
 * when that prefix's wine lacks ProcessPrng. No headers: it builds with `zig cc` or a MinGW gcc, and
 * -nostdlib keeps the C runtime out (a cold zig would otherwise build MinGW's CRT first, minutes here).
 */

typedef int BOOL;
typedef unsigned char BOOLEAN;
typedef unsigned char BYTE;
typedef unsigned long ULONG; /* 32 bits on Windows (LLP64) */
typedef __SIZE_TYPE__ SIZE_T;
#if defined(__i386__)
#define WINAPI __attribute__((stdcall))
#else
#define WINAPI
#endif

/* advapi32's RtlGenRandom: the random source ProcessPrng stands for. */
__declspec(dllimport) BOOLEAN WINAPI SystemFunction036(void *buffer, ULONG length);

/* Lets gocross tell its own shim from a real bcryptprimitives.dll (which it never replaces). */
__attribute__((used)) static const char gocross_marker[] = "gocross ProcessPrng shim";

__declspec(dllexport) BOOL WINAPI ProcessPrng(BYTE *data, SIZE_T size)
{
    while (size > 0) {
        ULONG chunk = size > 0x10000000u ? 0x10000000u : (ULONG)size;
        if (!SystemFunction036(data, chunk))
            return 0;
        data += chunk;
        size -= chunk;
    }
    return 1;
}

/* The entry point the linker looks for when there is no C runtime (zig's lld and MinGW's ld alike). */
BOOL WINAPI DllMainCRTStartup(void *instance, ULONG reason, void *reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return 1;
}
