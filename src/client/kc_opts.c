/* kc_opts.c - see kc_opts.h. */
#include "kc_opts.h"

#include "sis_err.h"

#include <stdlib.h>
#include <string.h>

void kc_opts_init(kc_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->connect_timeout_ms = 10000;
}

void kc_opts_release(kc_opts_t *o)
{
    sis_strlist_release(&o->props);
}

const char *kc_opts_bootstrap(kc_opts_t *o)
{
    if (!o->bootstrap || !*o->bootstrap) {
        const char *e = getenv("SISMO_BOOTSTRAP");
        o->bootstrap = e && *e ? e : KC_DEFAULT_BOOTSTRAP;
    }
    return o->bootstrap;
}

int kc_opts_validate(const kc_opts_t *o, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < o->props.n; i++) {
        const char *eq = strchr(o->props.items[i], '=');
        if (!eq || eq == o->props.items[i])
            return sis_seterr(errbuf, errlen, "property '%s' is not of the form key=value",
                              o->props.items[i]);
    }
    return SIS_OK;
}

int kc_opts_add_property(const char *arg, void *list, char *errbuf, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return sis_seterr(errbuf, errlen, "property '%s' is not of the form key=value", arg);
    sis_strlist_push(list, arg);
    return SIS_OK;
}
