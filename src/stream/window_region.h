/*
 * window_region.h - the simple region scheme of `sismo stats --by region`.
 *
 * A fixed, ordered table of latitude/longitude boxes; the first box containing the
 * epicentre names its region, and a point in no box is "Other". The table (and its order,
 * which settles overlaps) is in window_region.c and docs/STATS.md. Boxes include their
 * edges. The index of a region is its position in window_region_names(); it is stored in
 * snapshots, so changing the table means bumping WINDOW_REGION_SCHEME.
 */
#ifndef WINDOW_REGION_H
#define WINDOW_REGION_H

#define WINDOW_REGION_SCHEME 1 /* version of the table, recorded in snapshots */

/* Region index of an epicentre (degrees), in [0, window_region_count()). */
int window_region_of(double lat, double lon);
int window_region_count(void);
/* Name of region i ("Alaska", ..., "Other"); NULL if i is out of range. */
const char *window_region_name(int i);

#endif
