/* sis_err.c - error buffer helper; see sis_err.h. */
#include "sis_err.h"

#include <stdarg.h>
#include <stdio.h>

int sis_seterr(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return SIS_ERR;
}
