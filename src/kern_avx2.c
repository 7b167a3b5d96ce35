/* The kernels for x86-64 avx2: kern_isa.c with the flags CMakeLists.txt gives this file. */
#define KERN_ISA avx2
#define KERN_ISA_NAME "avx2"
#include "kern_isa.c"
