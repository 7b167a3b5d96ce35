/* model: what a trained model is made of, as saved to and loaded from
 * model.h5 (io/h5model.h): the network, the normalisation, the names of the
 * feature and target columns, and the resolved config text. */
#ifndef HOUSENET_MODEL_H
#define HOUSENET_MODEL_H

#include "data.h"
#include "net.h"

typedef struct Model {
    Net net;
    Norm norm;
    int nfeat;
    char **feat_names;   /* owned, nfeat strings */
    char *target_name;   /* owned */
    char *config_text;   /* owned, resolved config (INI text) */
} Model;

/* NULL-safe; frees every member and leaves *m zeroed. */
void model_free(Model *m);

#endif
