/* phr serve: every route table. A module adds its table here, one line. */
#include "web.h"
#include "forms.h"
#include "cards.h"

const struct web_route *const web_route_tables[] = {
	web_forms_routes, /* first: /record/ID/followup within the /record/ pages */
	web_core_routes,
	web_record_routes,
	web_admin_routes,
	web_card_routes, /* web/cards.c: the Card page */
	NULL,
};
