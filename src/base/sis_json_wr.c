/* sis_json_wr.c - see sis_json_wr.h. */
#include "sis_json_wr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sis_json_wr_num(sis_buf_t *b, double v)
{
    /* %.17g always reads back but prints noise (0.1 -> 0.10000000000000001); most values
     * (magnitudes, coordinates with 4-5 decimals) need 6 or 7 digits, so start there. For
     * a value that is not an integer, starting below 6 would give the same text. */
    char tmp[32];
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    sis_buf_puts(b, tmp);
}

void sis_json_wr_opt_num(sis_buf_t *b, int has, double v)
{
    if (has)
        sis_json_wr_num(b, v);
    else
        sis_buf_puts(b, "null");
}

void sis_json_wr_str_or_null(sis_buf_t *b, const char *s)
{
    if (s)
        sis_buf_json_str(b, s, strlen(s));
    else
        sis_buf_puts(b, "null");
}
