/*
 * window_region.c - the region table (see window_region.h).
 *
 * Boxes are checked in this order; the first that contains (lat, lon), edges included, wins.
 * Specific seismic zones come before the broad continental boxes that overlap them.
 *
 *   #  region                     lat from..to    lon from..to
 *   0  Alaska                      51 .. 72       -180 .. -129   (and 50..56, 165..180)
 *   1  Hawaii                      18 .. 23       -161 .. -154
 *   2  California & Nevada         32 .. 42       -125 .. -114
 *   3  Pacific Northwest           42 .. 50       -130 .. -116
 *   4  Mexico & Central America     7 .. 32       -118 .. -77
 *   5  Caribbean                    9 .. 27        -77 .. -59
 *   6  North America (other)       24 .. 84       -170 .. -50
 *   7  South America              -60 .. 13        -92 .. -30
 *   8  Japan & Kuril Islands       24 .. 51        128 .. 165
 *   9  Indonesia & Philippines    -11 .. 21         94 .. 141
 *  10  South Pacific              -60 .. 0         141 .. 180   (and -60..0, -180..-165)
 *  11  Mediterranean & Middle East 28 .. 48        -10 .. 63
 *  12  Europe (other)              35 .. 72        -25 .. 45
 *  13  Asia (other)                 0 .. 80         45 .. 180
 *  14  Africa                     -35 .. 37        -20 .. 52
 *  15  Other                      everything else (oceans, Antarctica, Australia's interior)
 */
#include "window_region.h"

typedef struct region_box {
    int region;
    double lat0, lat1, lon0, lon1;
} region_box_t;

static const char *const names[] = {
    "Alaska",
    "Hawaii",
    "California & Nevada",
    "Pacific Northwest",
    "Mexico & Central America",
    "Caribbean",
    "North America (other)",
    "South America",
    "Japan & Kuril Islands",
    "Indonesia & Philippines",
    "South Pacific",
    "Mediterranean & Middle East",
    "Europe (other)",
    "Asia (other)",
    "Africa",
    "Other",
};

#define N_REGIONS ((int)(sizeof names / sizeof names[0]))
#define OTHER (N_REGIONS - 1)

static const region_box_t boxes[] = {
    {0, 51, 72, -180, -129}, {0, 50, 56, 165, 180},   {1, 18, 23, -161, -154},
    {2, 32, 42, -125, -114}, {3, 42, 50, -130, -116}, {4, 7, 32, -118, -77},
    {5, 9, 27, -77, -59},    {6, 24, 84, -170, -50},  {7, -60, 13, -92, -30},
    {8, 24, 51, 128, 165},   {9, -11, 21, 94, 141},   {10, -60, 0, 141, 180},
    {10, -60, 0, -180, -165}, {11, 28, 48, -10, 63},  {12, 35, 72, -25, 45},
    {13, 0, 80, 45, 180},    {14, -35, 37, -20, 52},
};

int window_region_of(double lat, double lon)
{
    for (unsigned i = 0; i < sizeof boxes / sizeof boxes[0]; i++) {
        const region_box_t *b = &boxes[i];
        if (lat >= b->lat0 && lat <= b->lat1 && lon >= b->lon0 && lon <= b->lon1)
            return b->region;
    }
    return OTHER;
}

int window_region_count(void)
{
    return N_REGIONS;
}

const char *window_region_name(int i)
{
    return i >= 0 && i < N_REGIONS ? names[i] : 0;
}
