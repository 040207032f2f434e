/*
 * http-ui.c - GET /ui/: the read-only web view's own files (ui/, embedded
 * at build time), served without a token -- they hold no data; the view
 * reads the API with the read token it is given, or anonymously when
 * anonymous_read is on.
 *
 * Every entry a log holds is attacker-controlled text, so the view runs
 * under a strict Content-Security-Policy: its own script and style only,
 * no inline code, no other origin, no framing; it writes entry text with
 * textContent only (ui/app.js).
 */
#include <string.h>

#include <microhttpd.h>

#include "http-int.h"
#include "http-ui.h"

#define UI_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"connect-src 'self'; img-src 'self'; base-uri 'none'; " \
	"form-action 'self'; frame-ancestors 'none'"

enum MHD_Result
route_ui(struct req *r, const char *url)
{
	static const char *const hdrs[] = {
		"Content-Security-Policy", UI_CSP,
		"Referrer-Policy", "no-referrer",
		"X-Frame-Options", "DENY",
		NULL,
	};
	const struct ui_asset *a;

	for (a = ui_assets; a->path != NULL; a++)
		if (strcmp(a->path, url) == 0)
			return send_buf(r, 200, a->type, (void *)a->data, a->len,
			    MHD_RESPMEM_PERSISTENT, hdrs);
	return send_error(r, 404, "not_found", NULL, "no such file of the "
	    "web view");
}
