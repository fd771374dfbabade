/* phr serve: the Card page (web/cards.c). */
#ifndef PHR_WEB_CARDS_H
#define PHR_WEB_CARDS_H

#include "web.h"

/* /card, /card/read, /card/write, /card/format. */
extern const struct web_route web_card_routes[];

#endif
