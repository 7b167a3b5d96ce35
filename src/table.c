/* table: lookup and freeing (see table.h). */
#include "table.h"

#include <stdlib.h>
#include <string.h>

void table_free(Table *t)
{
    if (!t)
        return;
    for (int c = 0; c < t->ncols && t->names; c++)
        free(t->names[c]);
    free(t->names);
    free(t->cols);
    free(t->missing);
    for (int c = 0; c < t->ncols && t->text; c++)
        if (t->text[c]) {
            levels_free(t->text[c]);
            free(t->text[c]);
        }
    free(t->text);
    memset(t, 0, sizeof *t);
}

int table_find(const Table *t, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (strcmp(t->names[c], name) == 0)
            return c;
    return -1;
}
