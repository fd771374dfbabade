/* Shape of the tables po2c generates from the .po files in layouts/po. */
#ifndef PHR_LABELS_TABLE_H
#define PHR_LABELS_TABLE_H

struct phr_label {
	const char *id;
	const char *text;
};

struct phr_label_lang {
	const char *lang;
	const struct phr_label *labels; /* sorted by id (strcmp) */
	unsigned long n;
};

extern const struct phr_label_lang phr_label_langs[];
extern const unsigned long phr_label_lang_n;

#endif
