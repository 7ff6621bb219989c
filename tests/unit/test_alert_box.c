/*
 * test_alert_box.c - the alert box renders exactly as pinned in
 * tests/fixtures/cases/alert_box.cases (format described at the top of that file), and
 * every line of every case is exactly 42 columns wide.
 */
#include "alert_box.h"
#include "alert_text.h"
#include "sis_err.h"
#include "test.h"

#include <stdlib.h>

#define CASES "tests/fixtures/cases/alert_box.cases"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    sis_buf_t b = SIS_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sis_buf_append(&b, chunk, n);
    fclose(f);
    return sis_buf_detach(&b, NULL);
}

/* "\e" in expected blocks stands for ESC. */
static void unescape(sis_buf_t *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == 'e') {
            sis_buf_putc(out, '\033');
            i++;
        } else {
            sis_buf_putc(out, s[i]);
        }
    }
}

/* Display width of a rendered line without its SGR sequences. */
static size_t visible_width(const char *s, size_t n)
{
    sis_buf_t t = SIS_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\033') {
            while (i < n && s[i] != 'm')
                i++;
            continue;
        }
        sis_buf_putc(&t, s[i]);
    }
    size_t w = alert_text_width(sis_buf_cstr(&t), t.len);
    sis_buf_release(&t);
    return w;
}

static int run_case(const char *name, const char *kind, int color, const char *record,
                    const char *expected, size_t exp_len)
{
    quake_t q;
    char err[SIS_ERRLEN];
    quake_init(&q);
    int ok = 1;
    if (quake_decode(&q, record, strlen(record), err, sizeof err) != SIS_OK) {
        TEST_ASSERT(0, "case '%s': bad record: %s", name, err);
        quake_release(&q);
        return 0;
    }
    alert_decision_t d;
    memset(&d, 0, sizeof d);
    char pm[32] = "-", pl[32] = "-";
    if (!strncmp(kind, "ACTUALIZACION", 13)) {
        d.kind = ALERT_ACTUALIZACION;
        if (sscanf(kind, "ACTUALIZACION prev-mag=%31s prev-level=%31s", pm, pl) != 2)
            TEST_ASSERT(0, "case '%s': bad kind line '%s'", name, kind);
        if (strcmp(pm, "-")) {
            d.prev_has_mag = 1;
            d.prev_mag = strtod(pm, NULL);
        }
        if (strcmp(pl, "-")) {
            d.prev_has_level = 1;
            snprintf(d.prev_level, sizeof d.prev_level, "%s", pl);
        }
    } else {
        d.kind = ALERT_ALERTA;
    }
    sis_buf_t got = SIS_BUF_INIT, want = SIS_BUF_INIT;
    alert_box_render(&got, &q, &d, color);
    unescape(&want, expected, exp_len);
    if (strcmp(sis_buf_cstr(&got), sis_buf_cstr(&want))) {
        ok = 0;
        TEST_ASSERT(0, "case '%s': output differs", name);
        fprintf(stderr, "---- got:\n%s---- expected:\n%s----\n", sis_buf_cstr(&got),
                sis_buf_cstr(&want));
    }
    /* Independently of the expectation: every box line is 42 columns, the last line empty. */
    const char *p = sis_buf_cstr(&got), *end = p + got.len;
    int lines = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t w = visible_width(p, len);
        if (len && w != ALERT_BOX_WIDTH) {
            ok = 0;
            TEST_ASSERT(0, "case '%s': line %d is %zu columns: %.*s", name, lines + 1, w,
                        (int)len, p);
        }
        lines++;
        p = nl ? nl + 1 : end;
    }
    TEST_ASSERT(got.len >= 2 && !strcmp(sis_buf_cstr(&got) + got.len - 2, "\n\n"),
                "case '%s': box must end with an empty line", name);
    sis_buf_release(&got);
    sis_buf_release(&want);
    quake_release(&q);
    return ok;
}

int test_alert_box(void)
{
    const char *root = getenv("SISMO_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", root ? root : "", root ? "/" : "", CASES);
    char *text = slurp(path);
    TEST_ASSERT(text != NULL, "cannot read %s (run from the repository root or set SISMO_ROOT)",
                path);
    if (!text)
        return test_failures;
    int cases = 0, passed = 0;
    char *p = text;
    while ((p = strstr(p, "### ")) != NULL) {
        if (p != text && p[-1] != '\n') {
            p += 4;
            continue;
        }
        char name[128] = "", kind[128] = "", colorw[16] = "";
        char *eol = strchr(p, '\n');
        if (!eol)
            break;
        snprintf(name, sizeof name, "%.*s", (int)(eol - p - 4), p + 4);
        char *k = strstr(eol, "\nkind: "), *c = strstr(eol, "\ncolor: ");
        char *r = strstr(eol, "\nrecord: "), *sep = strstr(eol, "\n---\n");
        if (!k || !c || !r || !sep) {
            TEST_ASSERT(0, "case '%s': missing kind/color/record/---", name);
            break;
        }
        sscanf(k, "\nkind: %127[^\n]", kind);
        sscanf(c, "\ncolor: %15s", colorw);
        char *rend = strchr(r + 1, '\n');
        char *record = strndup(r + 9, (size_t)(rend - r - 9));
        char *exp = sep + 5, *stop = strstr(exp, "\n===\n");
        if (!stop) {
            TEST_ASSERT(0, "case '%s': expected block not closed by ===", name);
            free(record);
            break;
        }
        cases++;
        passed += run_case(name, kind, !strcmp(colorw, "yes"), record, exp,
                           (size_t)(stop - exp) + 1);
        free(record);
        p = stop + 5;
    }
    TEST_ASSERT(cases >= 15, "only %d cases found in %s", cases, path);
    TEST_SAY("%d of %d box cases match\n", passed, cases);
    free(text);
    return test_failures;
}
