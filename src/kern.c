/* kern: the choice of instruction set (see kern.h) and the array kernels'
 * entry points, which call the set in use. The kernels themselves are in
 * kern_isa.c, compiled once per x86-64 level. */
#include "kern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const KernIsa kern_isa_baseline;
#ifdef KERN_X86_ISAS
extern const KernIsa kern_isa_avx2, kern_isa_avx512;
#endif

/* The paths narrowest first, with whether this CPU runs each. */
static int supported(const KernIsa *isa)
{
#ifdef KERN_X86_ISAS
    __builtin_cpu_init();
    if (isa == &kern_isa_avx2)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == &kern_isa_avx512)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#endif
    return isa == &kern_isa_baseline;
}

static const KernIsa *const ISAS[] = {
    &kern_isa_baseline,
#ifdef KERN_X86_ISAS
    &kern_isa_avx2,
    &kern_isa_avx512,
#endif
};
enum { NISAS = sizeof ISAS / sizeof ISAS[0] };

const KernIsa *kern_active = &kern_isa_baseline;
static Err env_err; /* HOUSENET_ISA's problem, for kern_isa_status */

const char *kern_isa_available(void)
{
    static char names[64];
    if (!names[0])
        for (int i = 0; i < NISAS; i++)
            if (supported(ISAS[i]))
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", names[0] ? " " : "",
                         ISAS[i]->name);
    return names;
}

int kern_isa_use(const char *name, Err *err)
{
    for (int i = 0; i < NISAS; i++) {
        if (strcmp(name, ISAS[i]->name) != 0)
            continue;
        if (!supported(ISAS[i]))
            return err_set(err, E_USAGE, "HOUSENET_ISA=%.20s: this CPU cannot run the %s kernels; it runs %s",
                           name, name, kern_isa_available());
        kern_active = ISAS[i];
        return 0;
    }
    return err_set(err, E_USAGE, "HOUSENET_ISA=%.20s: unknown; this binary and CPU run %s", name,
                   kern_isa_available());
}

/* Before main: the widest path the CPU runs, or HOUSENET_ISA's. Running
 * here, every program linking the library gets the same choice. */
__attribute__((constructor)) static void kern_choose(void)
{
    for (int i = 0; i < NISAS; i++)
        if (supported(ISAS[i]))
            kern_active = ISAS[i];
    const char *want = getenv("HOUSENET_ISA");
    if (want && want[0])
        kern_isa_use(want, &env_err);
}

int kern_isa_status(Err *err)
{
    if (env_err.code && err)
        *err = env_err;
    return env_err.code;
}

void kern_exp(double *out, const double *in, size_t n) { kern_active->exp(out, in, n); }
void kern_sigmoid(double *v, size_t n) { kern_active->sigmoid(v, n); }
void kern_tanh(double *v, size_t n) { kern_active->tanh(v, n); }
void kern_sigmoidf(float *v, size_t n) { kern_active->sigmoidf(v, n); }
void kern_tanhf(float *v, size_t n) { kern_active->tanhf(v, n); }

void kern_gemm(int m, int n, int k, const double *a, ptrdiff_t sa, ptrdiff_t sp, const double *b, ptrdiff_t ldb,
               double *c, ptrdiff_t ldc, const double *bias, int add)
{
    kern_active->gemm(m, n, k, a, sa, sp, b, ldb, c, ldc, bias, add);
}

void kern_gemm_dot(int m, int n, int k, const double *a, ptrdiff_t lda, const double *bt, ptrdiff_t ldbt,
                   double *c, ptrdiff_t ldc, const double *bias, int add)
{
    kern_active->gemm_dot(m, n, k, a, lda, bt, ldbt, c, ldc, bias, add);
}

void kern_transpose(int m, int n, const double *s, ptrdiff_t lds, double *t, ptrdiff_t ldt)
{
    kern_active->transpose(m, n, s, lds, t, ldt);
}

void kern_gemmf(int m, int n, int k, const float *a, ptrdiff_t sa, ptrdiff_t sp, const float *b, ptrdiff_t ldb,
                float *c, ptrdiff_t ldc, const float *bias, int add)
{
    kern_active->gemmf(m, n, k, a, sa, sp, b, ldb, c, ldc, bias, add);
}

void kern_gemm_dotf(int m, int n, int k, const float *a, ptrdiff_t lda, const float *bt, ptrdiff_t ldbt, float *c,
                    ptrdiff_t ldc, const float *bias, int add)
{
    kern_active->gemm_dotf(m, n, k, a, lda, bt, ldbt, c, ldc, bias, add);
}

void kern_transposef(int m, int n, const float *s, ptrdiff_t lds, float *t, ptrdiff_t ldt)
{
    kern_active->transposef(m, n, s, lds, t, ldt);
}
