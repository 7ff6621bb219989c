/*
 * alert_text.h - terminal-safe UTF-8 text for the alert box: sanitising, display width,
 * word wrapping.
 *
 * Width model (wcwidth-style, one value per code point, from alert_text_table.h): combining
 * and format characters take 0 columns, East Asian Wide/Fullwidth characters 2, everything
 * else 1. A zero-width code point belongs to the cluster of the code point before it, so
 * wrapping never separates "a" from a following U+0301. Emoji sequences joined by U+200D
 * are measured code point by code point, like glibc's wcwidth.
 *
 * Safety: text from the feed never reaches the terminal raw. Invalid UTF-8 (bad, overlong,
 * surrogate or truncated sequences) becomes U+FFFD one byte at a time; tab, CR and LF become
 * a space; other C0/C1 controls, DEL, U+2028/U+2029 and the bidirectional controls
 * (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) become U+FFFD, so a place name
 * can neither inject escape sequences nor reorder or break the box.
 */
#ifndef ALERT_TEXT_H
#define ALERT_TEXT_H

#include "sis_buf.h"
#include "sis_str.h"

#include <stddef.h>
#include <stdint.h>

#define ALERT_TEXT_REPLACEMENT 0xFFFDu

/* Decodes one UTF-8 sequence at s (n >= 1 bytes available) into *cp and returns the number
 * of bytes consumed (1..4). Anything invalid yields U+FFFD and consumes one byte. */
size_t alert_text_decode(const char *s, size_t n, uint32_t *cp);

/* Display columns of one code point: 0, 1 or 2 (see the width model above). */
int alert_text_cp_width(uint32_t cp);

/* Appends s (n bytes, any content) to out as valid, terminal-safe UTF-8 (rules above) with
 * leading and trailing spaces removed. Returns the display width of what was appended. */
size_t alert_text_sanitize(sis_buf_t *out, const char *s, size_t n);

/* Display width of s, which must already be sanitised (valid UTF-8, no controls). */
size_t alert_text_width(const char *s, size_t n);

/*
 * Word-wraps sanitised text into at most max_lines lines of at most `width` columns each
 * (width >= 2), pushed onto `lines` (owned copies, no trailing spaces). Lines break at spaces;
 * a word longer than a line is broken between clusters. If the text needs more than
 * max_lines lines, the last one is cut to width - 1 columns (at a cluster boundary, trailing
 * spaces dropped) and ends with U+2026 HORIZONTAL ELLIPSIS. Returns the number of lines
 * pushed (0 for empty text); returns 1 in *cut when the ellipsis was used.
 */
size_t alert_text_wrap(const char *s, size_t n, size_t width, size_t max_lines,
                       sis_strlist_t *lines, int *cut);

#endif
