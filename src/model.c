/* model: freeing a Model (see model.h). Saving and loading live in
 * io/h5model.c; the network and normalisation own their own freeing. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

void data_record_free(DataRecord *r)
{
    if (!r)
        return;
    free(r->val_rows);
    free(r->test_rows);
    free(r->missing);
    memset(r, 0, sizeof *r);
}

void model_free(Model *m)
{
    if (!m)
        return;
    net_free(&m->net);
    norm_free(&m->norm);
    for (int i = 0; i < m->nfeat && m->feat_names; i++)
        free(m->feat_names[i]);
    free(m->feat_names);
    enc_free(&m->enc);
    free(m->target_name);
    free(m->config_text);
    data_record_free(&m->data);
    memset(m, 0, sizeof *m);
}

int model_inputs(const Model *m)
{
    return m->enc.v ? enc_width(&m->enc) : m->nfeat;
}
