/* test_alert_text.c - UTF-8 decoding, display width, sanitising and wrapping for the box. */
#include "alert_text.h"
#include "test.h"

#include <stdlib.h>

static size_t w(const char *s)
{
    return alert_text_width(s, strlen(s));
}

static void test_decode(void)
{
    uint32_t cp;
    TEST_EQ_INT(alert_text_decode("A", 1, &cp), 1);
    TEST_EQ_INT(cp, 'A');
    TEST_EQ_INT(alert_text_decode("\xc3\xa1", 2, &cp), 2); /* á */
    TEST_EQ_INT(cp, 0xe1);
    TEST_EQ_INT(alert_text_decode("\xe5\x9c\xb0", 3, &cp), 3); /* 地 */
    TEST_EQ_INT(cp, 0x5730);
    TEST_EQ_INT(alert_text_decode("\xf0\x9f\x8c\x8b", 4, &cp), 4); /* 🌋 */
    TEST_EQ_INT(cp, 0x1f30b);
    /* invalid: lone continuation, overlong, surrogate, truncated, > U+10FFFF */
    const char *bad[] = {"\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xe5\x9c",
                         "\xf4\x90\x80\x80", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        TEST_EQ_INT(alert_text_decode(bad[i], strlen(bad[i]), &cp), 1);
        TEST_EQ_INT(cp, ALERT_TEXT_REPLACEMENT);
    }
}

static void test_width(void)
{
    TEST_EQ_INT(w("Pahala"), 6);
    TEST_EQ_INT(w("P\xc4\x81hala"), 6);                /* Pāhala, precomposed ā */
    TEST_EQ_INT(w("Pa\xcc\x84hala"), 6);               /* a + U+0304 combining macron */
    TEST_EQ_INT(w("Andalg\xc3\xa1l\xc3\xa1"), 9);      /* Andalgalá */
    TEST_EQ_INT(w("\xe6\x9d\xb1\xe4\xba\xac"), 4);     /* 東京: wide */
    TEST_EQ_INT(w("\xef\xbc\xa1"), 2);                 /* Ａ fullwidth */
    TEST_EQ_INT(w("\xed\x95\x9c"), 2);                 /* 한 Hangul syllable */
    TEST_EQ_INT(w("\xe2\x80\x8b"), 0);                 /* zero width space (Cf) */
    TEST_EQ_INT(w("\xc2\xad"), 1);                     /* soft hyphen is drawn */
    TEST_EQ_INT(w("\xf0\x9f\x8c\x8b"), 2);             /* 🌋 emoji presentation: wide */
    TEST_EQ_INT(w("\xd8\xa7\xd9\x8e"), 1);             /* Arabic alef + fatha */
    TEST_EQ_INT(alert_text_cp_width(0x0300), 0);
    TEST_EQ_INT(alert_text_cp_width(0x20d0), 0);
    TEST_EQ_INT(alert_text_cp_width(0x1160), 0);
    TEST_EQ_INT(alert_text_cp_width(0x3000), 2);
    TEST_EQ_INT(alert_text_cp_width(0x2026), 1);
    TEST_EQ_INT(alert_text_cp_width(0x20000), 2);
    TEST_EQ_INT(alert_text_cp_width(0x10ffff), 1);
}

static void sanitize_is(const char *in, size_t n, const char *want, size_t want_w)
{
    sis_buf_t b = SIS_BUF_INIT;
    size_t got_w = alert_text_sanitize(&b, in, n);
    TEST_EQ_STR(sis_buf_cstr(&b), want);
    TEST_EQ_INT(got_w, want_w);
    TEST_EQ_INT(w(sis_buf_cstr(&b)), want_w);
    sis_buf_release(&b);
}

static void test_sanitize(void)
{
    sanitize_is("  10 km N of X  ", 16, "10 km N of X", 12);
    sanitize_is("a\tb\nc\rd", 7, "a b c d", 7);
    /* ESC sequences cannot reach the terminal */
    sanitize_is("a\033[2Jb", 6, "a\xef\xbf\xbd[2Jb", 6);
    sanitize_is("x\x7fy\xc2\x9bz", 6, "x\xef\xbf\xbdy\xef\xbf\xbdz", 5); /* DEL, C1 CSI */
    sanitize_is("a\xe2\x80\xae" "b", 5, "a\xef\xbf\xbd" "b", 3);       /* RLO bidi override */
    sanitize_is("a\xe2\x80\xa8" "b", 5, "a\xef\xbf\xbd" "b", 3);       /* line separator */
    sanitize_is("\xff\xfe", 2, "\xef\xbf\xbd\xef\xbf\xbd", 2);
    sanitize_is("a\0b", 3, "a\xef\xbf\xbd" "b", 3);                    /* NUL inside */
    sanitize_is("   ", 3, "", 0);
    sanitize_is("P\xc4\x81hala", 7, "P\xc4\x81hala", 6);
}

/* Wraps s and checks the lines joined by '|' and that each fits. */
static void wrap_is(const char *s, size_t width, size_t max, const char *want, int want_cut)
{
    sis_strlist_t l = SIS_STRLIST_INIT;
    int cut = -1;
    size_t n = alert_text_wrap(s, strlen(s), width, max, &l, &cut);
    sis_buf_t j = SIS_BUF_INIT;
    for (size_t i = 0; i < l.n; i++) {
        if (i)
            sis_buf_putc(&j, '|');
        sis_buf_puts(&j, l.items[i]);
        TEST_ASSERT(w(l.items[i]) <= width, "line '%s' is %zu columns, max %zu", l.items[i],
                    w(l.items[i]), width);
    }
    TEST_EQ_INT(n, l.n);
    TEST_ASSERT(n <= max);
    TEST_EQ_STR(sis_buf_cstr(&j), want);
    TEST_EQ_INT(cut, want_cut);
    sis_buf_release(&j);
    sis_strlist_release(&l);
}

static void test_wrap(void)
{
    wrap_is("short", 10, 3, "short", 0);
    wrap_is("", 10, 3, "", 0);
    wrap_is("aaa bbb ccc", 7, 3, "aaa bbb|ccc", 0);
    wrap_is("aaa bbb ccc", 3, 3, "aaa|bbb|ccc", 0);
    wrap_is("aaa  bbb", 4, 3, "aaa|bbb", 0);           /* no trailing or leading spaces */
    wrap_is("abcdefghij", 4, 3, "abcd|efgh|ij", 0);     /* hard break of a long word */
    wrap_is("abcdefghijklmn", 4, 3, "abcd|efgh|ijk\xe2\x80\xa6", 1);
    wrap_is("aaa bbb ccc ddd", 7, 2, "aaa bbb|ccc ddd", 0); /* the last line fits exactly */
    wrap_is("aaa bbb ccc ddd e", 7, 2, "aaa bbb|ccc dd\xe2\x80\xa6", 1);
    wrap_is("aaa bbb ccc ddd", 7, 1, "aaa bb\xe2\x80\xa6", 1); /* cut at width - 1 */
    wrap_is("aaa bbb ccc ddd", 4, 1, "aaa\xe2\x80\xa6", 1);    /* trailing space dropped */
    /* wide characters never straddle the edge: 5 columns hold two of them */
    wrap_is("\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd", 5, 3, "\xe6\x9d\xb1\xe4\xba\xac|\xe9\x83\xbd",
            0);
    /* a combining mark stays with its base letter */
    wrap_is("abca\xcc\x84" "d", 4, 3, "abca\xcc\x84|d", 0);
    wrap_is("abcda\xcc\x84", 4, 3, "abcd|a\xcc\x84", 0);
    /* ellipsis cut with wide characters: 4 columns - 1 leaves one wide char */
    wrap_is("\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd\xe5\xba\x9c", 4, 1,
            "\xe6\x9d\xb1\xe2\x80\xa6", 1);
}

int test_alert_text(void)
{
    test_decode();
    test_width();
    test_sanitize();
    test_wrap();
    return test_failures;
}
