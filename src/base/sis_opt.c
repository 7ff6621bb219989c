/* sis_opt.c - see sis_opt.h. */
#include "sis_opt.h"

#include "sis_err.h"
#include "sis_time.h"

#include <string.h>

static const sis_opt_t *find_long(const sis_opt_t *opts, const char *name, size_t n)
{
    for (; opts->long_name; opts++)
        if (strlen(opts->long_name) == n && !strncmp(opts->long_name, name, n))
            return opts;
    return NULL;
}

static const sis_opt_t *find_short(const sis_opt_t *opts, char c)
{
    for (; opts->long_name; opts++)
        if (opts->short_name && opts->short_name == c)
            return opts;
    return NULL;
}

static int needs_arg(const sis_opt_t *o)
{
    return o->kind == SIS_OPT_CALL ? o->takes_arg : o->kind != SIS_OPT_FLAG;
}

static int store(const sis_opt_t *o, const char *arg, char *errbuf, size_t errlen)
{
    switch (o->kind) {
    case SIS_OPT_FLAG:
        *(int *)o->target = 1;
        return SIS_OK;
    case SIS_OPT_STR:
        *(const char **)o->target = arg;
        return SIS_OK;
    case SIS_OPT_INT:
        if (sis_parse_ll(arg, (long long *)o->target))
            return sis_seterr(errbuf, errlen, "option '--%s' expects an integer, got '%s'",
                              o->long_name, arg);
        return SIS_OK;
    case SIS_OPT_DOUBLE:
        if (sis_parse_double(arg, (double *)o->target))
            return sis_seterr(errbuf, errlen, "option '--%s' expects a number, got '%s'",
                              o->long_name, arg);
        return SIS_OK;
    case SIS_OPT_DURATION:
        if (sis_parse_duration_ms(arg, (int64_t *)o->target))
            return sis_seterr(errbuf, errlen,
                              "option '--%s' expects a duration like 30s, 5m or 250ms, got '%s'",
                              o->long_name, arg);
        return SIS_OK;
    case SIS_OPT_LIST:
        sis_strlist_push((sis_strlist_t *)o->target, arg);
        return SIS_OK;
    case SIS_OPT_CALL:
        return o->cb(arg, o->target, errbuf, errlen);
    }
    return SIS_ERR;
}

int sis_opt_parse(const sis_opt_t *opts, int argc, char **argv, sis_strlist_t *positional,
                  char *errbuf, size_t errlen)
{
    int i = 0, only_positional = 0;
    while (i < argc) {
        const char *a = argv[i++];
        if (only_positional || a[0] != '-' || !a[1]) {
            if (!positional) {
                sis_seterr(errbuf, errlen, "unexpected argument '%s'", a);
                return SIS_OPT_ERROR;
            }
            sis_strlist_push(positional, a);
            continue;
        }
        if (!strcmp(a, "--")) {
            only_positional = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return SIS_OPT_HELP;
        const sis_opt_t *o;
        const char *arg = NULL;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t n = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(opts, name, n);
            if (!o) {
                sis_seterr(errbuf, errlen, "unknown option '--%.*s'", (int)n, name);
                return SIS_OPT_ERROR;
            }
            if (eq) {
                if (!needs_arg(o)) {
                    sis_seterr(errbuf, errlen, "option '--%s' takes no value", o->long_name);
                    return SIS_OPT_ERROR;
                }
                arg = eq + 1;
            }
        } else {
            o = find_short(opts, a[1]);
            if (!o) {
                sis_seterr(errbuf, errlen, "unknown option '-%c'", a[1]);
                return SIS_OPT_ERROR;
            }
            if (a[2]) {
                if (!needs_arg(o)) {
                    sis_seterr(errbuf, errlen, "option '-%c' takes no value", a[1]);
                    return SIS_OPT_ERROR;
                }
                arg = a + 2;
            }
        }
        if (needs_arg(o) && !arg) {
            if (i >= argc) {
                sis_seterr(errbuf, errlen, "option '--%s' requires a value", o->long_name);
                return SIS_OPT_ERROR;
            }
            arg = argv[i++];
        }
        if (store(o, arg, errbuf, errlen) != SIS_OK)
            return SIS_OPT_ERROR;
    }
    return SIS_OPT_OK;
}

void sis_opt_usage(FILE *f, const char *usage, const char *description, const sis_opt_t *opts)
{
    fprintf(f, "usage: %s\n\n%s\n\noptions:\n", usage, description);
    for (; opts->long_name; opts++) {
        char lhs[64];
        int n;
        if (opts->short_name)
            n = snprintf(lhs, sizeof lhs, "-%c, --%s", opts->short_name, opts->long_name);
        else
            n = snprintf(lhs, sizeof lhs, "    --%s", opts->long_name);
        if (needs_arg(opts) && opts->argname && n > 0 && (size_t)n < sizeof lhs)
            snprintf(lhs + n, sizeof lhs - (size_t)n, " %s", opts->argname);
        if (strlen(lhs) <= 28)
            fprintf(f, "  %-28s %s\n", lhs, opts->help);
        else
            fprintf(f, "  %s\n  %-28s %s\n", lhs, "", opts->help);
    }
    fprintf(f, "  %-28s %s\n", "-h, --help", "show this help and exit");
}
