/* The kernels for x86-64 avx512: kern_isa.c with the flags CMakeLists.txt gives this file. */
#define KERN_ISA avx512
#define KERN_ISA_NAME "avx512"
#include "kern_isa.c"
