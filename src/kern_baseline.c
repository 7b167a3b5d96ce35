/* The kernels for x86-64 baseline: kern_isa.c with the flags CMakeLists.txt gives this file. */
#define KERN_ISA baseline
#define KERN_ISA_NAME "baseline"
#include "kern_isa.c"
