/* alert.c - names of the alert kinds; see alert.h. */
#include "alert.h"

#include <stdio.h>
#include <string.h>

const char *alert_fmt_fixed(double v, int prec, char *buf, size_t len)
{
    snprintf(buf, len, "%.*f", prec, v);
    if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
        memmove(buf, buf + 1, strlen(buf)); /* includes the NUL */
    return buf;
}

const char *alert_kind_name(alert_kind_t k)
{
    switch (k) {
    case ALERT_ALERTA: return "ALERTA";
    case ALERT_ACTUALIZACION: return "ACTUALIZACION";
    case ALERT_REPLAYED: return "REPLAYED";
    case ALERT_NONE: break;
    }
    return "NONE";
}

alert_kind_t alert_kind_parse(const char *s)
{
    if (s && !strcmp(s, "ALERTA"))
        return ALERT_ALERTA;
    if (s && !strcmp(s, "ACTUALIZACION"))
        return ALERT_ACTUALIZACION;
    return ALERT_NONE;
}
