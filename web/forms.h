/* phr serve: the "New assessment" and "Follow-up" pages (web/forms.c). */
#ifndef PHR_WEB_FORMS_H
#define PHR_WEB_FORMS_H

#include "web.h"

/* /assess, /assessment, /record/ID/followup and the forms' assets. Listed
 * before the other tables in web_route_tables: a /record/ address that is
 * not a follow-up is passed on to the route of another table. */
extern const struct web_route web_forms_routes[];

#endif
