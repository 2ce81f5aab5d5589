/* rr_side.h — side files of recorded datasets: the catalog (titles, genres, categories, tags)
 * and the users' demographics that go with an event file, as the Item and User messages the
 * items and users topics carry. `rtrec eval` applies them; `rtrec replay` produces them. */
#ifndef RR_SIDE_H
#define RR_SIDE_H

#include <stddef.h>
#include "rr_event.h"

/* Called once per record, in file order; a non-zero return stops the read with that error. */
typedef rr_err_t (*rr_side_item_fn)(void *opaque, const rr_item_msg_t *item);
typedef rr_err_t (*rr_side_user_fn)(void *opaque, const rr_user_msg_t *user);

/* Items of path, its dialect told by its first line:
 * - MovieLens movies.csv (movieId,title,genres): category = the first genre, tags = the
 *   genres, then the distinct lower-cased tags of tags.csv when it sits in the same folder;
 * - ml-100k u.item (id|title|date|video date|url|19 genre flags, latin-1): title as UTF-8,
 *   category = the first flagged genre, tags = the flagged genres;
 * - Amazon item_meta.csv (tab-separated item_id, i_category, ...): category = i_category;
 * - Caixin news items.tsv (tab-separated item_id, title, publish day of March 2014): title = the
 *   headline, available_from_ms = the start of the publish day, Beijing time;
 * - JSON lines of Item (a line starting with '{').
 * Tags are cut at whole tags to fit RR_TEXT_MAX. A malformed record fails the read with errstr
 * "path:line: why". *n gets the records delivered. */
rr_err_t rr_side_items(const char *path, rr_side_item_fn fn, void *opaque, size_t *n, char *errstr,
                       size_t errlen);
/* Users of path: ml-100k u.user (id|age|gender|occupation|zip; region = the zip code's first
 * character, the US postal zone), or JSON lines of User. As rr_side_items otherwise. */
rr_err_t rr_side_users(const char *path, rr_side_user_fn fn, void *opaque, size_t *n, char *errstr,
                       size_t errlen);

#endif
