/* cmd_broker.c - `sismo broker`: not built yet; see the open issue for its specification. */
#include "sismo.h"

#include <stdio.h>
#include <string.h>

int cmd_broker(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: sismo broker [options]\n\nnot implemented yet in this build\n");
        return SIS_EXIT_OK;
    }
    fprintf(stderr, "sismo broker: not implemented yet in this build\n");
    return SIS_EXIT_FAIL;
}
