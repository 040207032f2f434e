/* http-ui.h - the web view's files, embedded at build time
 * (scripts/embed-ui.py writes the table from ui/) */
#ifndef LEDGERD_HTTP_UI_H
#define LEDGERD_HTTP_UI_H

#include <stddef.h>

struct ui_asset {
	const char *path;		/* "/ui/app.js"; "/ui/" is index.html */
	const char *type;		/* its media type */
	const unsigned char *data;
	size_t len;
};

/* Ended by a NULL path. */
extern const struct ui_asset ui_assets[];

#endif
