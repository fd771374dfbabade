/* Seeded generator of realistic entries. The proportions are rough and only
 * need to give the compression dictionary and the size measurements a
 * plausible mix: screening follows the ECDC guidance on infectious-disease
 * screening of newly arrived migrants (2018) in spirit (TB, HIV, hepatitis B
 * and C for all adults from intermediate/high prevalence countries,
 * Strongyloides and Schistosoma for people from endemic regions, catch-up
 * vaccination), with prevalences loosely by region of origin. */
#include "gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/json.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- random numbers ------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void gen_rng_init(struct gen_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ splitmix64(&stream);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t gen_next(struct gen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint32_t gen_below(struct gen_rng *r, uint32_t n)
{
	/* Lemire's multiply-shift; the tiny bias is irrelevant here. */
	return (uint32_t)(((gen_next(r) >> 32) * (uint64_t)n) >> 32);
}

double gen_unit(struct gen_rng *r)
{
	return (double)(gen_next(r) >> 11) * 0x1.0p-53;
}

static int chance(struct gen_rng *r, double p)
{
	return gen_unit(r) < p;
}

static int range(struct gen_rng *r, int lo, int hi) /* inclusive */
{
	return lo + (int)gen_below(r, (uint32_t)(hi - lo + 1));
}

static double normal(struct gen_rng *r, double mean, double sd)
{
	double u = gen_unit(r) + 1e-12, v = gen_unit(r);
	return mean + sd * sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

#define PICK(r, a) ((a)[gen_below((r), (uint32_t)N_OF(a))])

/* ---- code table ---------------------------------------------------------- */

static char **codes;   /* "system:code", sorted */
static size_t n_codes;
static int codes_loaded;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every code the generator may emit (checked against the table on load). */
static const char *const builtin_codes[] = {
	"icd11:1B10.0", "icd11:1B10.1", "icd11:1B14", "icd11:1C62.Z", "icd11:1E51.0", "icd11:1E51.1",
	"icd11:1E90", "icd11:1F40", "icd11:1F6B", "icd11:1F86", "icd11:1G04.0", "icd11:3A00", "icd11:3A51",
	"icd11:5A00", "icd11:5A10", "icd11:5A11", "icd11:5B81", "icd11:8A6Z", "icd11:BA00", "icd11:BD10",
	"icd11:CA22", "icd11:CA23", "icd11:GB61", "icd11:6A05", "icd11:6A70", "icd11:6B00", "icd11:6B40",
	"icd11:6B43", "icd11:7A00", "icd11:JB63.4", "icd11:1E50.0", "icd11:1F03", "icd11:6C40.2", "icd11:QA02.0",
	"icd10:B18.1", "icd10:E11", "icd10:I10",
	"snomed:91936005", "snomed:91935009", "snomed:300916003", "snomed:80146002",
	"loinc:8302-2", "loinc:29463-7", "loinc:39156-5", "loinc:8480-6", "loinc:8462-4", "loinc:8867-4",
	"loinc:9279-1", "loinc:8310-5", "loinc:59408-5", "loinc:56072-2", "loinc:9843-4", "loinc:71773-6",
	"loinc:64084-7", "loinc:1648-5", "loinc:36643-5", "loinc:24648-8", "loinc:11545-1", "loinc:543-9",
	"loinc:38379-4", "loinc:56888-1", "loinc:5196-1", "loinc:16933-4", "loinc:22322-2", "loinc:16128-1",
	"loinc:11259-9", "loinc:20507-0", "loinc:33317-9", "loinc:34376-4", "loinc:711-2", "loinc:2106-3",
	"loinc:4548-4", "loinc:718-7", "loinc:2345-7", "loinc:2160-0", "loinc:55757-9", "loinc:44249-1",
	"loinc:69737-5",
	"atc:J07AN01", "atc:J07BF04", "atc:J07BF03", "atc:J07CA09", "atc:J07BD52", "atc:J07AM51",
	"atc:J07CA02", "atc:J07BC01", "atc:J07BN01", "atc:J07BB02", "atc:J07AL02", "atc:J07BM03",
	"atc:J07AH08", "atc:J07BK01", "atc:J07BH01", "atc:J07AL01",
	"atc:A10BA02", "atc:A10BB09", "atc:A10AE04", "atc:C08CA01", "atc:C09AA02", "atc:C09AA05",
	"atc:C03AA03", "atc:C10AA05", "atc:B01AC06", "atc:H03AA01", "atc:R03AC02", "atc:R03BA02",
	"atc:N02BE01", "atc:M01AE01", "atc:J01CA04", "atc:J01EE01", "atc:B03AA07", "atc:B03BB01",
	"atc:J04AC01", "atc:J04AB02", "atc:J04AM06", "atc:A11HA02", "atc:P02CF01", "atc:P02BA01",
	"atc:P02CA03", "atc:P03AC04", "atc:J05AF07", "atc:J05AP55", "atc:N06AB06", "atc:N03AG01",
};

static int known(const char *code)
{
	if (!codes_loaded)
		return 1;
	return bsearch(&code, codes, n_codes, sizeof(*codes), cmp_str) != NULL;
}

int gen_codes_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t cap = 0;
	if (!f)
		return -1;
	for (size_t i = 0; i < n_codes; i++)
		free(codes[i]);
	n_codes = 0;
	for (int first = 1; fgets(line, sizeof(line), f); first = 0) {
		char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
		if (first || !tab1 || !tab2)
			continue;
		*tab2 = '\0';
		*tab1 = ':';
		if (n_codes == cap) {
			cap = cap ? 2 * cap : 256;
			char **nc = realloc(codes, cap * sizeof(*codes));
			if (!nc)
				abort();
			codes = nc;
		}
		if (!(codes[n_codes++] = strdup(line)))
			abort();
	}
	fclose(f);
	qsort(codes, n_codes, sizeof(*codes), cmp_str);
	codes_loaded = 1;
	size_t missing = 0;
	for (size_t i = 0; i < N_OF(builtin_codes); i++)
		if (!known(builtin_codes[i])) {
			if (missing++ < 8)
				fprintf(stderr, "phr-gen: %s is not in %s: items with it are left out\n",
					builtin_codes[i], path);
		}
	if (missing)
		fprintf(stderr, "phr-gen: %zu of %zu built-in codes are not in %s\n", missing, N_OF(builtin_codes),
			path);
	return (int)n_codes;
}

/* ---- people and places --------------------------------------------------- */

struct names {
	const char *lang;                 /* of the native spelling */
	const char *male[8], *female[8], *family[8], *family_f[8];
	/* Latin transliterations, same order; NULL when the native script is Latin */
	const char *male_l[8], *female_l[8], *family_l[8], *family_fl[8];
};

static const struct names arabic = {
	"ar",
	{ "محمد", "أحمد", "علي", "عمر", "خالد", "يوسف", "إبراهيم", "حسن" },
	{ "فاطمة", "مريم", "سارة", "نور", "هبة", "رنا", "ليلى", "زينب" },
	{ "الحموي", "الحسن", "الخطيب", "العلي", "حداد", "الشامي", "النجار", "الحلبي" },
	{ 0 },
	{ "Mohammed", "Ahmad", "Ali", "Omar", "Khaled", "Youssef", "Ibrahim", "Hassan" },
	{ "Fatima", "Maryam", "Sara", "Nour", "Hiba", "Rana", "Layla", "Zainab" },
	{ "Al-Hamwi", "Al-Hassan", "Al-Khatib", "Al-Ali", "Haddad", "Al-Shami", "Al-Najjar", "Al-Halabi" },
	{ 0 },
};
static const struct names farsi = {
	"fa",
	{ "احمد", "محمد", "علی", "رضا", "حسین", "مهدی", "جواد", "نوید" },
	{ "زهرا", "فاطمه", "مریم", "سارا", "نرگس", "لیلا", "شبنم", "پروانه" },
	{ "احمدی", "محمدی", "حسینی", "رضایی", "کریمی", "نوری", "رحیمی", "عزیزی" },
	{ 0 },
	{ "Ahmad", "Mohammad", "Ali", "Reza", "Hossein", "Mahdi", "Javad", "Navid" },
	{ "Zahra", "Fatemeh", "Maryam", "Sara", "Narges", "Leila", "Shabnam", "Parvaneh" },
	{ "Ahmadi", "Mohammadi", "Hosseini", "Rezaei", "Karimi", "Nouri", "Rahimi", "Azizi" },
	{ 0 },
};
static const struct names ukrainian = {
	"uk",
	{ "Олександр", "Богдан", "Андрій", "Сергій", "Іван", "Дмитро", "Василь", "Петро" },
	{ "Олена", "Наталія", "Ірина", "Оксана", "Тетяна", "Марія", "Ганна", "Людмила" },
	{ "Савченко", "Шевченко", "Бондаренко", "Ткаченко", "Мельник", "Кравчук", "Ковальчук", "Олійник" },
	{ 0 },
	{ "Oleksandr", "Bohdan", "Andrii", "Serhii", "Ivan", "Dmytro", "Vasyl", "Petro" },
	{ "Olena", "Nataliia", "Iryna", "Oksana", "Tetiana", "Mariia", "Hanna", "Liudmyla" },
	{ "Savchenko", "Shevchenko", "Bondarenko", "Tkachenko", "Melnyk", "Kravchuk", "Kovalchuk", "Oliinyk" },
	{ 0 },
};
static const struct names russian = {
	"ru",
	{ "Александр", "Дмитрий", "Сергей", "Алексей", "Михаил", "Иван", "Андрей", "Николай" },
	{ "Елена", "Ольга", "Наталья", "Анна", "Мария", "Татьяна", "Ирина", "Светлана" },
	{ "Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков" },
	{ "Иванова", "Смирнова", "Кузнецова", "Попова", "Соколова", "Лебедева", "Козлова", "Новикова" },
	{ "Aleksandr", "Dmitrii", "Sergei", "Aleksei", "Mikhail", "Ivan", "Andrei", "Nikolai" },
	{ "Elena", "Olga", "Natalia", "Anna", "Mariia", "Tatiana", "Irina", "Svetlana" },
	{ "Ivanov", "Smirnov", "Kuznetsov", "Popov", "Sokolov", "Lebedev", "Kozlov", "Novikov" },
	{ "Ivanova", "Smirnova", "Kuznetsova", "Popova", "Sokolova", "Lebedeva", "Kozlova", "Novikova" },
};
static const struct names somali = {
	"so",
	{ "Abdirahman", "Mohamed", "Ahmed", "Abdullahi", "Hassan", "Yusuf", "Ali", "Omar" },
	{ "Ubah", "Amina", "Fadumo", "Sahra", "Hawa", "Asha", "Ifrah", "Sagal" },
	{ "Aden", "Farah", "Hussein", "Abdi", "Mohamud", "Osman", "Jama", "Ismail" },
	{ 0 }, { 0 }, { 0 }, { 0 }, { 0 },
};
static const struct names nigerian = {
	"en",
	{ "Chinedu", "Emeka", "Oluwaseun", "Ibrahim", "Tunde", "Obinna", "Musa", "Kelechi" },
	{ "Ngozi", "Aisha", "Funmilayo", "Chiamaka", "Blessing", "Adaeze", "Zainab", "Folake" },
	{ "Okafor", "Adeyemi", "Eze", "Bello", "Okonkwo", "Balogun", "Nwosu", "Abubakar" },
	{ 0 }, { 0 }, { 0 }, { 0 }, { 0 },
};
static const struct names eritrean = {
	NULL, /* Tigrinya names in Latin transliteration */
	{ "Yonas", "Tesfaye", "Dawit", "Samuel", "Habtom", "Filmon", "Mehari", "Amanuel" },
	{ "Senait", "Helen", "Selam", "Yordanos", "Luwam", "Rahel", "Winta", "Saba" },
	{ "Tesfay", "Gebremedhin", "Haile", "Berhane", "Kidane", "Tekle", "Woldu", "Ghebre" },
	{ 0 }, { 0 }, { 0 }, { 0 }, { 0 },
};
static const struct names congolese = {
	"fr",
	{ "Jean-Pierre", "Patrick", "Christian", "Glody", "Junior", "Fiston", "Cédric", "Trésor" },
	{ "Grâce", "Esther", "Merveille", "Ruth", "Divine", "Nadège", "Falonne", "Rachel" },
	{ "Mukendi", "Ilunga", "Tshibangu", "Kasongo", "Mbuyi", "Lukusa", "Kalala", "Kabeya" },
	{ 0 }, { 0 }, { 0 }, { 0 }, { 0 },
};
static const struct names guinean = {
	"fr",
	{ "Mamadou", "Ibrahima", "Alpha", "Amadou", "Ousmane", "Sékou", "Thierno", "Boubacar" },
	{ "Mariama", "Fatoumata", "Aïssatou", "Kadiatou", "Hawa", "Aminata", "Oumou", "Djénab" },
	{ "Diallo", "Bah", "Barry", "Sow", "Camara", "Condé", "Sylla", "Keita" },
	{ 0 }, { 0 }, { 0 }, { 0 }, { 0 },
};
static const struct names hispanic = {
	"es",
	{ "José Luis", "Carlos", "Miguel", "Andrés", "Jesús", "Daniel", "Alejandro", "Luis Alberto" },
	{ "María José", "Daniela", "Andrea", "Valentina", "Gabriela", "Yusleidy", "Carolina", "Ana María" },
	{ "González", "Rodríguez", "Pérez", "Hernández", "García", "Martínez", "López", "Ramírez" },
	{ 0 }, { 0 }, { 0 }, { 0 }, { 0 },
};

struct route {
	const char *transit[6];
	const char *host[3];
	int min_days, max_days; /* departure to arrival */
};

struct origin {
	const char *cc;
	int weight;
	const struct names *names;
	const char *langs[3];
	/* prevalences (probability of a positive screen) */
	double ltbi, tb, hbv, hcv, hiv, syph;
	int ssa;    /* sub-Saharan Africa: schistosomiasis/strongyloides screening, malaria */
	struct route routes[3];
};

static const struct origin origins[] = {
	{ "SY", 14, &arabic, { "ar", "ku" }, 0.10, 0.005, 0.04, 0.01, 0.001, 0.005, 0,
	  { { { "TR" }, { "GR" }, 20, 400 }, { { "TR", "GR", "MK", "RS", "HU" }, { "DE", "AT" }, 30, 200 },
	    { { "LB" }, { "CY" }, 5, 90 } } },
	{ "AF", 12, &farsi, { "fa", "ps" }, 0.25, 0.015, 0.03, 0.01, 0.002, 0.005, 0,
	  { { { "IR", "TR" }, { "GR", "BG" }, 60, 800 }, { { "IR", "TR", "BG", "RS", "HU" }, { "AT", "DE" }, 90, 900 },
	    { { "PK", "IR", "TR" }, { "GR" }, 90, 900 } } },
	{ "IQ", 6, &arabic, { "ar", "ku" }, 0.10, 0.005, 0.02, 0.02, 0.001, 0.005, 0,
	  { { { "TR" }, { "GR" }, 10, 300 }, { { "TR", "BG", "RS" }, { "DE" }, 30, 300 }, { { 0 }, { "DE" }, 1, 3 } } },
	{ "SD", 4, &arabic, { "ar", "en" }, 0.25, 0.02, 0.07, 0.02, 0.005, 0.01, 1,
	  { { { "TD", "LY" }, { "IT", "MT" }, 90, 900 }, { { "EG", "LY" }, { "IT" }, 60, 600 } } },
	{ "IR", 4, &farsi, { "fa", "en" }, 0.08, 0.002, 0.02, 0.01, 0.001, 0.003, 0,
	  { { { "TR" }, { "GR", "DE" }, 5, 200 }, { { 0 }, { "DE" }, 1, 2 } } },
	{ "NG", 5, &nigerian, { "en", "yo", "ig" }, 0.25, 0.02, 0.10, 0.02, 0.02, 0.02, 1,
	  { { { "NE", "LY" }, { "IT" }, 60, 700 }, { { "NE", "DZ", "MA" }, { "ES" }, 90, 900 } } },
	{ "SO", 4, &somali, { "so", "ar" }, 0.35, 0.03, 0.08, 0.01, 0.005, 0.01, 1,
	  { { { "ET", "SD", "LY" }, { "IT", "MT" }, 120, 900 }, { { "ET", "SD", "LY" }, { "IT" }, 120, 900 },
	    { { "KE" }, { "DE" }, 1, 30 } } },
	{ "ER", 4, &eritrean, { "ti", "en" }, 0.30, 0.03, 0.06, 0.01, 0.005, 0.01, 1,
	  { { { "SD", "LY" }, { "IT", "MT" }, 120, 900 }, { { "ET", "SD", "LY" }, { "IT" }, 200, 900 } } },
	{ "CD", 3, &congolese, { "fr", "ln", "sw" }, 0.30, 0.03, 0.07, 0.04, 0.03, 0.02, 1,
	  { { { 0 }, { "BE", "FR" }, 1, 2 }, { { "UG" }, { "BE" }, 10, 90 } } },
	{ "GN", 3, &guinean, { "fr", "ff" }, 0.25, 0.02, 0.12, 0.02, 0.015, 0.015, 1,
	  { { { "ML", "DZ", "MA" }, { "ES" }, 60, 700 }, { { "ML", "NE", "LY" }, { "IT" }, 90, 800 } } },
	{ "VE", 5, &hispanic, { "es" }, 0.10, 0.002, 0.01, 0.005, 0.003, 0.01, 0,
	  { { { 0 }, { "ES" }, 1, 2 }, { { "CO" }, { "ES" }, 5, 120 } } },
	{ "CO", 3, &hispanic, { "es" }, 0.10, 0.002, 0.01, 0.005, 0.003, 0.01, 0,
	  { { { 0 }, { "ES" }, 1, 2 } } },
	{ "UA", 12, &ukrainian, { "uk", "ru" }, 0.15, 0.005, 0.015, 0.03, 0.01, 0.005, 0,
	  { { { "MD" }, { "RO" }, 1, 4 }, { { 0 }, { "PL" }, 1, 3 }, { { "PL" }, { "DE", "AT" }, 2, 10 } } },
	{ "RU", 2, &russian, { "ru", "en" }, 0.15, 0.005, 0.02, 0.03, 0.01, 0.005, 0,
	  { { { "GE", "TR" }, { "DE" }, 5, 60 }, { { "KZ" }, { "DE", "FI" }, 5, 60 } } },
};

struct host {
	const char *cc;
	const char *first[6], *last[6];
	const char *dr; /* "Dr", "Dra.", "Dr." */
};

static const struct host hosts[] = {
	{ "GR", { "Katerina", "Nikos", "Despina", "Yannis", "Sofia", "Dimitris" },
	  { "Karali", "Antoniou", "Konstantinou", "Alexiou", "Nikolaou", "Vlachou" }, "Dr" },
	{ "IT", { "Paolo", "Giulia", "Francesca", "Luca", "Chiara", "Matteo" },
	  { "Colombo", "Russo", "Romano", "Esposito", "Ferrari", "Ricci" }, "Dr" },
	{ "ES", { "Lucía", "Javier", "Carmen", "Pablo", "Elena", "Sergio" },
	  { "Fernández", "Morales", "Navarro", "Ortega", "Ruiz", "Castillo" }, "Dr" },
	{ "DE", { "Anna", "Thomas", "Katrin", "Jonas", "Sabine", "Felix" },
	  { "Schmidt", "Müller", "Weber", "Wagner", "Becker", "Hoffmann" }, "Dr." },
	{ "AT", { "Lukas", "Julia", "Stefan", "Lena", "Florian", "Katharina" },
	  { "Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner" }, "Dr." },
	{ "MT", { "Joseph", "Maria", "Mark", "Roberta", "Daniel", "Claire" },
	  { "Borg", "Camilleri", "Vella", "Farrugia", "Zammit", "Galea" }, "Dr" },
	{ "CY", { "Andreas", "Christina", "Giorgos", "Eleni", "Marios", "Anna" },
	  { "Christodoulou", "Ioannou", "Kyriakou", "Charalambous", "Michael", "Savva" }, "Dr" },
	{ "BG", { "Ivan", "Maria", "Georgi", "Elena", "Dimitar", "Petya" },
	  { "Petrov", "Dimitrova", "Georgiev", "Ivanova", "Nikolov", "Stoyanova" }, "Dr" },
	{ "RO", { "Radu", "Ioana", "Mihai", "Elena", "Alexandru", "Ana" },
	  { "Stoica", "Ionescu", "Dumitru", "Stan", "Constantin", "Marin" }, "Dr" },
	{ "PL", { "Katarzyna", "Piotr", "Anna", "Tomasz", "Magdalena", "Paweł" },
	  { "Nowak", "Wiśniewski", "Kowalczyk", "Wójcik", "Kamińska", "Lewandowski" }, "Dr" },
	{ "BE", { "Sophie", "Marc", "Lien", "Pieter", "Nathalie", "Thomas" },
	  { "Peeters", "Dubois", "Janssens", "Lambert", "Maes", "Dupont" }, "Dr" },
	{ "FR", { "Claire", "Julien", "Camille", "Nicolas", "Émilie", "Antoine" },
	  { "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard" }, "Dr" },
	{ "FI", { "Aino", "Mikko", "Laura", "Juha", "Sanna", "Antti" },
	  { "Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Laine", "Heikkinen" }, "Dr" },
};

static const struct host *host_of(const char *cc)
{
	for (size_t i = 0; i < N_OF(hosts); i++)
		if (!strcmp(hosts[i].cc, cc))
			return &hosts[i];
	return &hosts[0];
}

/* ---- the case ------------------------------------------------------------ */

enum { MAX_ITEMS = 16 };

struct gen_case {
	uint64_t seed, index;
	struct gen_rng rng;
	const struct origin *o;
	const struct route *route;
	const struct host *host;
	int female, age, group;      /* group: 0 child <15, 1 adolescent, 2 adult, 3 older >= 60 */
	int64_t birth, visit, arrival, departure;
	int pregnant;
	int ltbi, tb_suspect, hbv, hcv, hcv_rna, hiv, schisto, strongy, anaemia, scabies, mh_pos;
	int malaria;
	int chronic[6], n_chronic;   /* indices into chronic_table */
	int needs_mmr2, needs_hexa, hexa_dose, needs_td, needs_hbv, hbv_dose;
	int n_follow;
	int64_t follow_day[2];
	const char *professional[3];  /* one per entry */
	const char *role[3];
	char prof_buf[3][80];
	char mediator[80];
	char lot_mmr[16], lot_hexa[16], lot_td[16], lot_hbv[16];
	char tsv_note[8];
};

static const int64_t unix_epoch_days = 25567; /* 1970-01-01 in days since 1900-01-01 */

static json_t *date_json(int64_t days)
{
	int y, m, d;
	char buf[16];
	phr_civil_from_days(days, &y, &m, &d);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
	return json_string(buf);
}

static json_t *year_json(int64_t days, int precision) /* 0 year, 1 month, 2 day */
{
	int y, m, d;
	char buf[16];
	phr_civil_from_days(days, &y, &m, &d);
	if (precision == 0)
		snprintf(buf, sizeof(buf), "%04d", y);
	else if (precision == 1)
		snprintf(buf, sizeof(buf), "%04d-%02d", y, m);
	else
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
	return json_string(buf);
}

/* A measured value with `decimals` decimals, as JSON integer when whole. */
static json_t *num(double v, int decimals)
{
	double scale = pow(10.0, decimals);
	double r = round(v * scale) / scale;
	if (r == floor(r))
		return json_integer((json_int_t)r);
	return json_real(r);
}

static void set(json_t *o, const char *k, json_t *v)
{
	if (json_object_set_new(o, k, v))
		abort();
}

static void push(json_t *a, json_t *v)
{
	if (json_array_append_new(a, v))
		abort();
}

/* Sets an array only if it is not empty. */
static void set_array(json_t *o, const char *k, json_t *a)
{
	if (json_array_size(a))
		set(o, k, a);
	else
		json_decref(a);
}

static void lot(struct gen_rng *r, char *buf, size_t n, const char *prefix)
{
	static const char alpha[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
	switch (gen_below(r, 3)) {
	case 0:
		snprintf(buf, n, "%s%04u%c", prefix, (unsigned)gen_below(r, 10000), alpha[gen_below(r, 23)]);
		break;
	case 1:
		snprintf(buf, n, "%c%c%05u", alpha[gen_below(r, 23)], alpha[gen_below(r, 23)],
			 (unsigned)gen_below(r, 100000));
		break;
	default:
		snprintf(buf, n, "%u%c%02u", 100 + (unsigned)gen_below(r, 900), alpha[gen_below(r, 23)],
			 (unsigned)gen_below(r, 100));
		break;
	}
}

/* code: adds {"<key>": code} to o if the table knows it; returns whether. */
static int set_code(json_t *o, const char *key, const char *code)
{
	if (!known(code))
		return 0;
	set(o, key, json_string(code));
	return 1;
}

struct chronic {
	const char *code, *code_icd10;
	int min_age;
	double p;          /* probability for an older person (halved for adults) */
	const char *med[2], *dose[2];
};

static const struct chronic chronic_table[] = {
	{ "icd11:5A11", "icd10:E11", 40, 0.30, { "atc:A10BA02", "atc:A10BB09" }, { "1000 mg twice daily", "80 mg once daily" } },
	{ "icd11:BA00", "icd10:I10", 35, 0.45, { "atc:C08CA01", "atc:C09AA05" }, { "5 mg once daily", "5 mg once daily" } },
	{ "icd11:CA22", NULL, 50, 0.10, { "atc:R03AC02", NULL }, { "100 µg, 2 puffs as needed", NULL } },
	{ "icd11:CA23", NULL, 5, 0.06, { "atc:R03AC02", "atc:R03BA02" }, { "100 µg, 2 puffs as needed", "200 µg twice daily" } },
	{ "icd11:5A00", NULL, 30, 0.06, { "atc:H03AA01", NULL }, { "75 µg once daily", NULL } },
	{ "icd11:BD10", NULL, 55, 0.06, { "atc:C09AA02", "atc:C03AA03" }, { "10 mg twice daily", "25 mg once daily" } },
	{ "icd11:GB61", NULL, 50, 0.05, { NULL, NULL }, { NULL, NULL } },
	{ "icd11:8A6Z", NULL, 2, 0.02, { "atc:N03AG01", NULL }, { "500 mg twice daily", NULL } },
	{ "icd11:5A10", NULL, 5, 0.01, { "atc:A10AE04", NULL }, { "20 units at night", NULL } },
	{ "icd11:3A51", NULL, 1, 0.01, { "atc:B03BB01", NULL }, { "5 mg once daily", NULL } },
	{ "icd11:5B81", NULL, 18, 0.08, { NULL, NULL }, { NULL, NULL } },
};

static void make_professional(struct gen_case *c, int slot)
{
	static const char *const roles_dr[] = { "physician", "general practitioner", "GP",
		"infectious disease physician" };
	static const char *const roles_nurse[] = { "nurse", "public health nurse", "nurse practitioner" };
	struct gen_rng *r = &c->rng;
	const struct host *h = c->host;
	const char *first = PICK(r, h->first), *last = PICK(r, h->last);
	int dr = chance(r, 0.7);
	if (dr) {
		snprintf(c->prof_buf[slot], sizeof(c->prof_buf[slot]), "%s %s %s", h->dr, first, last);
		if (c->group == 0 && chance(r, 0.7))
			c->role[slot] = "paediatrician";
		else if (c->pregnant && chance(r, 0.5))
			c->role[slot] = "obstetrician";
		else
			c->role[slot] = PICK(r, roles_dr);
	} else {
		snprintf(c->prof_buf[slot], sizeof(c->prof_buf[slot]), "%s %s", first, last);
		c->role[slot] = c->pregnant && chance(r, 0.5) ? "midwife" : PICK(r, roles_nurse);
	}
	c->professional[slot] = c->prof_buf[slot];
}

struct gen_case *gen_case_create(uint64_t seed, uint64_t index)
{
	struct gen_case *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->seed = seed;
	c->index = index;
	gen_rng_init(&c->rng, seed, index * 4);
	struct gen_rng *r = &c->rng;

	int total = 0;
	for (size_t i = 0; i < N_OF(origins); i++)
		total += origins[i].weight;
	int w = (int)gen_below(r, (uint32_t)total);
	for (size_t i = 0; i < N_OF(origins); i++) {
		if (w < origins[i].weight) {
			c->o = &origins[i];
			break;
		}
		w -= origins[i].weight;
	}
	size_t n_routes = 0;
	while (n_routes < 3 && c->o->routes[n_routes].host[0])
		n_routes++;
	c->route = &c->o->routes[gen_below(r, (uint32_t)n_routes)];
	size_t n_hosts = 0;
	while (n_hosts < 3 && c->route->host[n_hosts])
		n_hosts++;
	c->host = host_of(c->route->host[gen_below(r, (uint32_t)n_hosts)]);

	c->visit = phr_days_from_civil(2024, 1, 1) + range(r, 0, 729);
	c->arrival = c->visit - range(r, 1, 45);
	c->departure = c->arrival - range(r, c->route->min_days, c->route->max_days);

	double g = gen_unit(r);
	c->group = g < 0.33 ? 0 : g < 0.41 ? 1 : g < 0.88 ? 2 : 3;
	static const int age_lo[] = { 0, 15, 18, 60 }, age_hi[] = { 14, 17, 59, 86 };
	c->age = range(r, age_lo[c->group], age_hi[c->group]);
	if (c->group == 2 && chance(r, 0.6)) /* most adult migrants are young */
		c->age = range(r, 18, 35);
	c->female = chance(r, c->group >= 2 ? 0.42 : 0.48);
	c->birth = c->visit - (int64_t)c->age * 365 - range(r, 0, 364);
	if (c->age == 0)
		c->birth = c->visit - range(r, 20, 360);
	c->pregnant = c->female && c->age >= 16 && c->age <= 44 && chance(r, 0.12);

	const struct origin *o = c->o;
	int adult = c->age >= 15;
	c->ltbi = chance(r, o->ltbi * (adult ? 1.0 : 0.5));
	c->tb_suspect = chance(r, o->tb * 3);
	c->hbv = chance(r, o->hbv * (adult ? 1.0 : 0.3));
	c->hcv = adult && chance(r, o->hcv);
	c->hcv_rna = c->hcv && chance(r, 0.7);
	c->hiv = adult && chance(r, o->hiv);
	c->schisto = o->ssa && chance(r, 0.2);
	c->strongy = chance(r, o->ssa ? 0.12 : 0.03);
	c->malaria = o->ssa && chance(r, 0.03);
	c->anaemia = (c->female || c->age < 10) && chance(r, 0.15);
	c->scabies = chance(r, o->routes[0].max_days > 300 ? 0.08 : 0.02);
	c->mh_pos = c->age >= 12 && chance(r, 0.3);
	if (c->age >= 35) {
		double scale = c->group == 3 ? 1.0 : 0.35;
		for (size_t i = 0; i < N_OF(chronic_table) && c->n_chronic < 6; i++)
			if (c->age >= chronic_table[i].min_age && chance(r, chronic_table[i].p * scale))
				c->chronic[c->n_chronic++] = (int)i;
	} else if (chance(r, 0.06)) {
		size_t i = gen_below(r, (uint32_t)N_OF(chronic_table));
		if (c->age >= chronic_table[i].min_age)
			c->chronic[c->n_chronic++] = (int)i;
	}

	double f = gen_unit(r);
	c->n_follow = f < 0.55 ? 0 : f < 0.85 ? 1 : 2;
	c->follow_day[0] = c->visit + range(r, 7, 42);
	c->follow_day[1] = c->follow_day[0] + range(r, 21, 90);
	make_professional(c, 0);
	make_professional(c, 1);
	make_professional(c, 2);
	if (chance(r, 0.5)) {
		const struct names *nm = o->names;
		int fem = chance(r, 0.5);
		const char *first = fem ? (nm->female_l[0] ? PICK(r, nm->female_l) : PICK(r, nm->female))
					: (nm->male_l[0] ? PICK(r, nm->male_l) : PICK(r, nm->male));
		const char *last = nm->family_l[0] ? PICK(r, nm->family_l) : PICK(r, nm->family);
		if (fem && nm->family_fl[0])
			last = PICK(r, nm->family_fl);
		snprintf(c->mediator, sizeof(c->mediator), "%s %s", first, last);
	}
	lot(r, c->lot_mmr, sizeof(c->lot_mmr), "MMR");
	lot(r, c->lot_hexa, sizeof(c->lot_hexa), "HX");
	lot(r, c->lot_td, sizeof(c->lot_td), "TD");
	lot(r, c->lot_hbv, sizeof(c->lot_hbv), "HB");
	return c;
}

void gen_case_destroy(struct gen_case *c)
{
	free(c);
}

unsigned gen_case_follow_ups(const struct gen_case *c)
{
	return (unsigned)c->n_follow;
}

uint64_t gen_case_time(const struct gen_case *c, unsigned n)
{
	int64_t day = n == 0 ? c->visit : c->follow_day[n > 2 ? 1 : n - 1] + 70 * (n > 2 ? n - 2 : 0);
	uint64_t h = 8 * 3600 + (c->index * 7919 + n * 104729) % (9 * 3600);
	return (uint64_t)(day - unix_epoch_days) * 86400u + h;
}

/* ---- entry parts --------------------------------------------------------- */

static json_t *identity(struct gen_case *c)
{
	struct gen_rng *r = &c->rng;
	const struct origin *o = c->o;
	const struct names *nm = o->names;
	json_t *id = json_object();
	if (chance(r, 0.95)) {
		json_t *names = json_array();
		int k = (int)gen_below(r, 8), kf = (int)gen_below(r, 8), k2 = (int)gen_below(r, 8);
		const char *given = c->female ? nm->female[k] : nm->male[k];
		const char *given_l = c->female ? nm->female_l[k] : nm->male_l[k];
		const char *fam = c->female && nm->family_f[0] ? nm->family_f[kf] : nm->family[kf];
		const char *fam_l = c->female && nm->family_fl[0] ? nm->family_fl[kf] : nm->family_l[kf];
		char gbuf[128], glbuf[128];
		/* Somali and Arabic names often carry the father's name */
		if ((nm == &somali || nm == &arabic) && chance(r, 0.4)) {
			snprintf(gbuf, sizeof(gbuf), "%s %s", given, nm->male[k2]);
			given = gbuf;
			if (given_l) {
				snprintf(glbuf, sizeof(glbuf), "%s %s", given_l, nm->male_l[k2]);
				given_l = glbuf;
			}
		}
		json_t *n = json_object();
		set(n, "family", json_string(fam));
		set(n, "given", json_string(given));
		if (nm->lang)
			set(n, "lang", json_string(nm->lang));
		push(names, n);
		if (given_l && chance(r, 0.6)) {
			n = json_object();
			set(n, "family", json_string(fam_l));
			set(n, "given", json_string(given_l));
			push(names, n);
		}
		set(id, "names", names);
	}
	int prec = c->age < 5 ? (chance(r, 0.8) ? 2 : 1) : chance(r, 0.55) ? 2 : chance(r, 0.2) ? 1 : 0;
	set(id, "birth_date", year_json(c->birth, prec));
	set(id, "sex", json_string(c->female ? "female" : "male"));
	if (chance(r, 0.9))
		set(id, "nationality", json_string(o->cc));
	set(id, "origin", json_string(o->cc));
	json_t *langs = json_array();
	push(langs, json_string(o->langs[0]));
	for (int i = 1; i < 3 && o->langs[i]; i++)
		if (chance(r, 0.45))
			push(langs, json_string(o->langs[i]));
	if (c->age >= 12 && chance(r, 0.2) && strcmp(o->langs[0], "en"))
		push(langs, json_string("en"));
	set(id, "languages", langs);
	set(id, "preferred_language", json_string(o->langs[0]));
	set(id, "interpreter", json_boolean(strcmp(o->langs[0], "en") && chance(r, 0.8)));
	return id;
}

static json_t *migration(struct gen_case *c)
{
	struct gen_rng *r = &c->rng;
	json_t *m = json_object();
	if (chance(r, 0.85))
		set(m, "departure", chance(r, 0.8) ? date_json(c->departure) : year_json(c->departure, 1));
	set(m, "arrival", date_json(c->arrival));
	set(m, "host_country", json_string(c->host->cc));
	json_t *t = json_array();
	for (int i = 0; i < 6 && c->route->transit[i]; i++)
		push(t, json_string(c->route->transit[i]));
	set_array(m, "transit", t);
	return m;
}

static json_t *consent(struct gen_case *c)
{
	struct gen_rng *r = &c->rng;
	json_t *k = json_object();
	set(k, "store", json_true());
	json_t *share = json_array();
	push(share, json_string(c->host->cc));
	if (chance(r, 0.4)) {
		static const char *const more[] = { "DE", "AT", "NL", "SE", "FR", "BE" };
		const char *x = PICK(r, more);
		if (strcmp(x, c->host->cc))
			push(share, json_string(x));
	}
	if (chance(r, 0.15))
		push(share, json_string(c->o->cc));
	set(k, "share_with", share);
	set(k, "emergency_access", json_boolean(chance(r, 0.7)));
	set(k, "date", date_json(c->visit));
	set(k, "mediator_present", json_boolean(c->mediator[0] != '\0'));
	if (c->age < 15)
		set(k, "given_by", json_string(chance(r, 0.9) ? "parent" : "guardian"));
	else if (c->age < 18)
		set(k, "given_by", json_string(chance(r, 0.5) ? "guardian" : "self"));
	else if (chance(r, 0.3))
		set(k, "given_by", json_string("self"));
	return k;
}

static void history(struct gen_case *c, json_t *e)
{
	struct gen_rng *r = &c->rng;
	json_t *h = json_array(), *meds = json_array();
	int year = 0;
	phr_civil_from_days(c->visit, &year, &(int){ 0 }, &(int){ 0 });
	for (int i = 0; i < c->n_chronic; i++) {
		const struct chronic *ch = &chronic_table[c->chronic[i]];
		json_t *p = json_object();
		const char *code = ch->code_icd10 && chance(r, 0.2) ? ch->code_icd10 : ch->code;
		if (!set_code(p, "code", code)) {
			json_decref(p);
			continue;
		}
		int onset = year - range(r, 1, c->age > 20 ? 20 : c->age + 1);
		set(p, "category", json_string("chronic"));
		if (chance(r, 0.8)) {
			char b[8];
			snprintf(b, sizeof(b), "%04d", onset);
			set(p, "onset", json_string(b));
		}
		set(p, "status", json_string("active"));
		if (chance(r, 0.15))
			set(p, "note", json_string(chance(r, 0.5) ? "Treatment interrupted during the journey."
								 : "Diagnosed in the country of origin; no documents."));
		push(h, p);
		for (int k = 0; k < 2; k++) {
			if (!ch->med[k] || (k == 1 && chance(r, 0.5)) || chance(r, 0.2))
				continue;
			json_t *m = json_object();
			if (!set_code(m, "code", ch->med[k])) {
				json_decref(m);
				continue;
			}
			set(m, "dosage", json_string(ch->dose[k]));
			if (chance(r, 0.6)) {
				char b[8];
				snprintf(b, sizeof(b), "%04d", onset + range(r, 0, 2));
				set(m, "since", json_string(b));
			}
			if (chance(r, 0.15))
				set(m, "note", json_string(chance(r, 0.5) ? "Ran out 2 weeks ago." : "Supply for 10 days left."));
			push(meds, m);
		}
	}
	if (chance(r, 0.12)) {
		json_t *p = json_object();
		static const char *const past[] = { "icd11:1E90", "icd11:1F40", "icd11:1E50.0", "icd11:1F03" };
		const char *code = c->o->ssa && chance(r, 0.5) ? "icd11:1F40" : PICK(r, past);
		if (set_code(p, "code", code)) {
			char b[8];
			set(p, "category", json_string("past_infection"));
			snprintf(b, sizeof(b), "%04d", year - range(r, 1, c->age > 1 ? c->age : 1));
			set(p, "onset", json_string(b));
			set(p, "status", json_string("resolved"));
			if (chance(r, 0.3))
				set(p, "note", json_string(c->age < 15 ? "Reported by the mother." : "Reported by the patient."));
			push(h, p);
		} else {
			json_decref(p);
		}
	}
	if (c->age > 15 && chance(r, 0.06)) {
		json_t *p = json_object();
		if (set_code(p, "code", "snomed:80146002")) {
			char b[8];
			set(p, "category", json_string("surgery"));
			snprintf(b, sizeof(b), "%04d", year - range(r, 1, c->age - 5));
			set(p, "onset", json_string(b));
			set(p, "status", json_string("resolved"));
			push(h, p);
		} else {
			json_decref(p);
		}
	}
	if (c->mh_pos && c->age >= 15 && chance(r, 0.15)) {
		json_t *p = json_object();
		if (set_code(p, "code", chance(r, 0.6) ? "icd11:6B40" : "icd11:6A70")) {
			set(p, "category", json_string("chronic"));
			set(p, "status", json_string(chance(r, 0.7) ? "active" : "unknown"));
			push(h, p);
		} else {
			json_decref(p);
		}
	}
	set_array(e, "history", h);
	set_array(e, "medications", meds);
}

static json_t *allergies(struct gen_case *c)
{
	struct gen_rng *r = &c->rng;
	json_t *a = json_array();
	if (!chance(r, 0.08))
		return a;
	static const struct {
		const char *code, *crit, *reaction;
	} al[] = {
		{ "snomed:91936005", "high", "anaphylaxis" }, { "snomed:91936005", "low", "urticaria" },
		{ "snomed:91935009", "high", "throat swelling" }, { "snomed:300916003", "low", "contact dermatitis" },
		{ "atc:J01EE01", "low", "rash" },
	};
	int k = (int)gen_below(r, (uint32_t)N_OF(al));
	json_t *x = json_object();
	if (!set_code(x, "code", al[k].code)) {
		json_decref(x);
		return a;
	}
	set(x, "criticality", json_string(al[k].crit));
	if (chance(r, 0.8))
		set(x, "reaction", json_string(al[k].reaction));
	push(a, x);
	return a;
}

static json_t *vacc(const char *code, int dose, int of, json_t *date, const char *country, const char *lotno,
		    const char *source)
{
	if (!known(code)) {
		json_decref(date);
		return NULL;
	}
	json_t *v = json_object();
	set(v, "vaccine", json_string(code));
	if (dose) {
		set(v, "dose", json_integer(dose));
		set(v, "of", json_integer(of));
	}
	if (date)
		set(v, "date", date);
	if (country)
		set(v, "country", json_string(country));
	if (lotno)
		set(v, "lot", json_string(lotno));
	set(v, "source", json_string(source));
	return v;
}

static void add(json_t *a, json_t *v)
{
	if (v)
		push(a, v);
}

static void vaccinations(struct gen_case *c, json_t *e)
{
	struct gen_rng *r = &c->rng;
	json_t *a = json_array();
	const char *oc = c->o->cc, *hc = c->host->cc;
	int documented = chance(r, c->o->cc[0] == 'U' ? 0.7 : 0.35);
	int n_given = 0;
	if (documented) {
		/* a few doses from the childhood schedule or adult campaigns */
		if (c->age < 15) {
			add(a, vacc("atc:J07AN01", 0, 0, date_json(c->birth + range(r, 0, 30)), oc, NULL, "documented"));
			int doses = range(r, 1, 3);
			for (int d = 1; d <= doses && json_array_size(a) < 8; d++)
				add(a, vacc("atc:J07CA09", d, 3, date_json(c->birth + 60 * d + range(r, 0, 20)), oc, NULL,
					    "documented"));
			if (c->age >= 1 && chance(r, 0.7))
				add(a, vacc("atc:J07BD52", 1, 2, date_json(c->birth + 365 + range(r, 0, 60)), oc, NULL,
					    "documented"));
			if (c->age >= 1 && chance(r, 0.5))
				add(a, vacc("atc:J07BF04", range(r, 1, 3), 3, NULL, oc, NULL, "documented"));
			c->needs_mmr2 = c->age >= 1;
		} else {
			if (chance(r, 0.6))
				add(a, vacc("atc:J07BN01", 2, 2, year_json(c->visit - range(r, 700, 1400), chance(r, 0.5) ? 2 : 1),
					    oc, NULL, "documented"));
			if (chance(r, 0.3))
				add(a, vacc("atc:J07AM51", 0, 0, year_json(c->visit - range(r, 365, 3650), 0), oc, NULL,
					    "documented"));
			if (c->group == 3 && chance(r, 0.4))
				add(a, vacc("atc:J07BB02", 1, 1, year_json(c->visit - range(r, 300, 800), 1), oc, NULL,
					    "documented"));
			c->needs_td = 0;
		}
	} else {
		if (c->age < 15 && chance(r, 0.3))
			add(a, vacc("atc:J07BD52", 1, 2, NULL, NULL, NULL, "reported"));
		c->needs_mmr2 = 0;
		c->needs_td = 0;
		if (chance(r, 0.6))
			set(e, "no_vaccination_documents", json_true());
	}
	/* catch-up given at this visit */
	if (c->age >= 1 && c->age < 15) {
		if (chance(r, 0.8)) {
			add(a, vacc("atc:J07BD52", documented ? 2 : 1, 2, date_json(c->visit), hc, c->lot_mmr, "given"));
			n_given++;
			c->needs_mmr2 = !documented;
		}
		if (c->age < 10 && chance(r, 0.7)) {
			c->hexa_dose = documented ? 2 : 1;
			add(a, vacc("atc:J07CA09", c->hexa_dose, 3, date_json(c->visit), hc, c->lot_hexa, "given"));
			c->needs_hexa = 1;
			n_given++;
		} else if (c->age >= 10 && chance(r, 0.6)) {
			add(a, vacc("atc:J07CA02", 1, 3, date_json(c->visit), hc, c->lot_td, "given"));
			n_given++;
		}
		if (c->age >= 9 && c->female && chance(r, 0.4))
			add(a, vacc("atc:J07BM03", 1, 2, date_json(c->visit), hc, NULL, "given"));
	} else if (c->age == 0 && chance(r, 0.7)) {
		add(a, vacc("atc:J07CA09", 1, 3, date_json(c->visit), hc, c->lot_hexa, "given"));
		add(a, vacc("atc:J07AL02", 1, 3, date_json(c->visit), hc, NULL, "given"));
		if (chance(r, 0.6))
			add(a, vacc("atc:J07BH01", 1, 2, date_json(c->visit), hc, NULL, "given"));
		c->needs_hexa = 1;
		c->hexa_dose = 1;
	} else if (c->age >= 15) {
		if (chance(r, 0.5)) {
			add(a, vacc("atc:J07AM51", 1, 3, date_json(c->visit), hc, c->lot_td, "given"));
			c->needs_td = 1;
			n_given++;
		}
		if (c->age < 40 && !documented && chance(r, 0.5) && !c->pregnant)
			add(a, vacc("atc:J07BD52", 1, 2, date_json(c->visit), hc, c->lot_mmr, "given"));
		if (c->group == 3 && chance(r, 0.6)) {
			add(a, vacc("atc:J07BB02", 1, 1, date_json(c->visit), hc, NULL, "given"));
			if (chance(r, 0.5))
				add(a, vacc("atc:J07AL01", 1, 1, date_json(c->visit), hc, NULL, "given"));
		}
	}
	(void)n_given;
	while (json_array_size(a) > 8)
		json_array_remove(a, json_array_size(a) - 1);
	set_array(e, "vaccinations", a);
}

static json_t *result(const char *test, json_t *date, const char *res, json_t *value, const char *unit,
		      const char *note)
{
	if (!known(test)) {
		json_decref(date);
		json_decref(value);
		return NULL;
	}
	json_t *x = json_object();
	set(x, "test", json_string(test));
	if (date)
		set(x, "date", date);
	set(x, "result", json_string(res));
	if (value) {
		set(x, "value", value);
		if (unit)
			set(x, "unit", json_string(unit));
	}
	if (note)
		set(x, "note", json_string(note));
	return x;
}

static const char *pn(int pos)
{
	return pos ? "positive" : "negative";
}

static void results(struct gen_case *c, json_t *e)
{
	struct gen_rng *r = &c->rng;
	json_t *a = json_array();
	int64_t sample = c->visit - (chance(r, 0.5) ? range(r, 0, 4) : 0);
	int adult = c->age >= 15;
	int full = chance(r, 0.9); /* some clinics only do part of the panel */
	/* tuberculosis */
	if (c->age < 5 && chance(r, 0.5)) {
		double mm = c->ltbi ? range(r, 10, 22) : range(r, 0, 6);
		add(a, result("loinc:1648-5", date_json(c->visit + 3), pn(c->ltbi), num(mm, 0), "mm", NULL));
	} else if (chance(r, 0.85)) {
		int indet = chance(r, 0.02);
		add(a, result("loinc:71773-6", date_json(sample), indet ? "indeterminate" : pn(c->ltbi || c->tb_suspect),
			      NULL, NULL, indet ? "Repeat IGRA." : NULL));
		if (chance(r, 0.25))
			add(a, result("loinc:64084-7", date_json(sample), pn(c->ltbi || c->tb_suspect),
				      num(c->ltbi ? 0.35 + gen_unit(r) * 6 : gen_unit(r) * 0.3, 2), "[IU]/mL", NULL));
	}
	if (adult && (chance(r, 0.6) || c->ltbi || c->tb_suspect)) {
		static const char *const cxr_notes[] = { "Cavitating lesion at the right apex.",
			"Left apical opacity, suspicious for TB.", "Bilateral upper zone nodular shadowing." };
		const char *cxr = chance(r, 0.5) ? "loinc:24648-8" : "loinc:36643-5";
		add(a, result(cxr, date_json(c->visit), c->tb_suspect ? "abnormal" : "normal", NULL, NULL,
			      c->tb_suspect ? PICK(r, cxr_notes) : NULL));
		if (c->tb_suspect) {
			add(a, result("loinc:11545-1", date_json(c->visit), "pending", NULL, NULL, NULL));
			add(a, result("loinc:38379-4", date_json(c->visit), "pending", NULL, NULL, NULL));
			if (chance(r, 0.5))
				add(a, result("loinc:543-9", date_json(c->visit), "pending", NULL, NULL, NULL));
		}
	}
	/* blood-borne viruses */
	if (adult ? full : chance(r, 0.3)) {
		add(a, result("loinc:5196-1", date_json(sample), pn(c->hbv), NULL, NULL, NULL));
		if (chance(r, 0.5) || c->hbv)
			add(a, result("loinc:16933-4", date_json(sample), pn(c->hbv || chance(r, 0.2)), NULL, NULL, NULL));
		if (chance(r, 0.5)) {
			int immune = !c->hbv && chance(r, 0.4);
			add(a, result("loinc:22322-2", date_json(sample), pn(immune),
				      chance(r, 0.5) ? num(immune ? range(r, 12, 900) : gen_unit(r) * 9, 1) : NULL, "[IU]/L",
				      NULL));
			c->needs_hbv = !immune && !c->hbv;
		}
	}
	if (adult && full) {
		add(a, result("loinc:16128-1", date_json(sample), pn(c->hcv), NULL, NULL, NULL));
		if (c->hcv)
			add(a, result("loinc:11259-9", date_json(sample), "pending", NULL, NULL, NULL));
		add(a, result("loinc:56888-1", date_json(sample), pn(c->hiv), NULL, NULL,
			      c->hiv ? "Confirmation sample sent." : NULL));
		if (chance(r, 0.6))
			add(a, result("loinc:20507-0", date_json(sample), pn(chance(r, c->o->syph)), NULL, NULL, NULL));
	}
	/* parasites */
	if (c->o->ssa || chance(r, 0.15)) {
		if (c->age >= 2)
			add(a, result("loinc:34376-4", date_json(sample), c->strongy ? "positive" : chance(r, 0.1) ? "pending" : "negative",
				      NULL, NULL, NULL));
		if (c->o->ssa && c->age >= 2)
			add(a, result("loinc:33317-9", date_json(sample), pn(c->schisto), NULL, NULL, NULL));
		if (chance(r, 0.5)) {
			double eos = (c->strongy || c->schisto) ? 0.6 + gen_unit(r) * 2.5 : 0.05 + gen_unit(r) * 0.4;
			add(a, result("loinc:711-2", date_json(sample), eos > 0.5 ? "abnormal" : "normal", num(eos, 2),
				      "10*9/L", NULL));
		}
	}
	/* blood count, pregnancy, metabolic */
	if (c->anaemia || chance(r, 0.3)) {
		double hb = c->anaemia ? 7.5 + gen_unit(r) * 3.4 : 11.5 + gen_unit(r) * 4;
		add(a, result("loinc:718-7", date_json(sample), c->anaemia ? "abnormal" : "normal", num(hb, 1), "g/dL",
			      NULL));
	}
	if (c->female && c->age >= 15 && c->age <= 45 && (c->pregnant || chance(r, 0.3)))
		add(a, result("loinc:2106-3", date_json(c->visit), pn(c->pregnant), NULL, NULL, NULL));
	for (int i = 0; i < c->n_chronic; i++) {
		int k = c->chronic[i];
		if (k == 0 || k == 8) {
			double a1c = 6.5 + gen_unit(r) * 4;
			add(a, result("loinc:4548-4", date_json(c->visit), a1c > 7 ? "abnormal" : "normal", num(a1c, 1), "%",
				      a1c > 7 ? "HbA1c over the 7% goal." : NULL));
			if (chance(r, 0.5))
				add(a, result("loinc:2345-7", date_json(c->visit), "abnormal", num(range(r, 130, 320), 0),
					      "mg/dL", NULL));
		} else if (k == 6 || (k == 1 && chance(r, 0.4))) {
			double cr = k == 6 ? 1.5 + gen_unit(r) * 2 : 0.7 + gen_unit(r) * 0.6;
			add(a, result("loinc:2160-0", date_json(c->visit), cr > 1.3 ? "abnormal" : "normal", num(cr, 2), "mg/dL",
				      NULL));
		}
	}
	while (json_array_size(a) > 60)
		json_array_remove(a, json_array_size(a) - 1);
	set_array(e, "results", a);
}

static json_t *vital(const char *code, json_t *value, const char *unit)
{
	if (!known(code)) {
		json_decref(value);
		return NULL;
	}
	json_t *v = json_object();
	set(v, "code", json_string(code));
	set(v, "value", value);
	set(v, "unit", json_string(unit));
	return v;
}

static void vitals(struct gen_case *c, json_t *e)
{
	struct gen_rng *r = &c->rng;
	json_t *a = json_array();
	double height, weight;
	if (c->age < 18) {
		double y = c->age + 0.5;
		height = (y < 2 ? 50 + 25 * y : 75 + 6.2 * y) + normal(r, 0, 4);
		weight = (y < 2 ? 3.5 + 5 * y : 8 + 2.6 * y) * (1 + normal(r, 0, 0.1));
	} else {
		height = (c->female ? 160 : 172) + normal(r, 0, 7);
		double bmi = 19 + gen_unit(r) * 8 + (c->group == 3 ? 3 : 0);
		weight = bmi * height * height / 10000;
	}
	int vs = chance(r, 0.85);
	if (vs || c->tb_suspect)
		add(a, vital("loinc:8310-5", num(c->tb_suspect || c->malaria ? 37.6 + gen_unit(r) * 1.4 : 36.2 + gen_unit(r) * 0.9, 1),
			     "Cel"));
	add(a, vital("loinc:29463-7", num(weight, c->age < 5 ? 2 : 1), "kg"));
	if (c->age < 18 || chance(r, 0.8))
		add(a, vital("loinc:8302-2", num(height, c->age < 2 ? 1 : 0), "cm"));
	if (c->age >= 18 && chance(r, 0.6))
		add(a, vital("loinc:39156-5", num(weight * 10000 / (height * height), 1), "kg/m2"));
	if (c->age >= 12 && vs) {
		int htn = 0;
		for (int i = 0; i < c->n_chronic; i++)
			htn |= c->chronic[i] == 1;
		double sys = htn ? 140 + gen_unit(r) * 40 : 105 + gen_unit(r) * 30 + (c->age > 50 ? 10 : 0);
		add(a, vital("loinc:8480-6", num(sys, 0), "mm[Hg]"));
		add(a, vital("loinc:8462-4", num(sys * 0.62 + normal(r, 0, 4), 0), "mm[Hg]"));
	}
	if (vs)
		add(a, vital("loinc:8867-4", num(c->age < 5 ? 100 + gen_unit(r) * 30 : 60 + gen_unit(r) * 35, 0), "/min"));
	if (vs && chance(r, 0.4))
		add(a, vital("loinc:9279-1", num(c->age < 5 ? 24 + gen_unit(r) * 10 : 12 + gen_unit(r) * 8, 0), "/min"));
	if (vs && chance(r, 0.5))
		add(a, vital("loinc:59408-5", num(c->tb_suspect ? 92 + gen_unit(r) * 5 : 96 + gen_unit(r) * 3, 0), "%"));
	if (c->age < 5 && chance(r, 0.7))
		add(a, vital("loinc:56072-2", num(12.5 + gen_unit(r) * 4, 1), "cm"));
	if (c->age < 2 && chance(r, 0.8))
		add(a, vital("loinc:9843-4", num(35 + c->age * 10 + gen_unit(r) * 8, 1), "cm"));
	set_array(e, "vitals", a);
}

static void pregnancy(struct gen_case *c, json_t *e)
{
	struct gen_rng *r = &c->rng;
	if (!(c->female && c->age >= 15 && c->age <= 45))
		return;
	if (!c->pregnant && !chance(r, 0.3))
		return;
	json_t *p = json_object();
	set(p, "status", json_string(c->pregnant ? "pregnant" : chance(r, 0.9) ? "not_pregnant" : "unknown"));
	if (c->pregnant) {
		set(p, "expected_delivery", date_json(c->visit + range(r, 20, 250)));
		int grav = range(r, 1, c->age > 25 ? 6 : 3);
		set(p, "gravida", json_integer(grav));
		set(p, "para", json_integer(grav - 1 - (grav > 2 && chance(r, 0.3))));
	} else if (chance(r, 0.5)) {
		int grav = range(r, 0, 5);
		set(p, "gravida", json_integer(grav));
		set(p, "para", json_integer(grav));
	}
	set(e, "pregnancy", p);
}

static void mental(struct gen_case *c, json_t *e)
{
	struct gen_rng *r = &c->rng;
	if (c->age < 12 || !chance(r, 0.75))
		return;
	json_t *m = json_object();
	static const char *const tools[] = { "loinc:55757-9", "loinc:44249-1", "loinc:69737-5" };
	int t = (int)gen_below(r, 3);
	set(m, "screening", json_string(chance(r, 0.05) ? "not_done" : c->mh_pos ? "positive" : "negative"));
	set_code(m, "tool", tools[t]);
	if (c->mh_pos) {
		set(m, "referral", json_boolean(chance(r, 0.6)));
		if (chance(r, 0.6)) {
			static const char *const ctx[] = { "Held in detention in Libya; sleeps badly.", "Lost family members.",
				"Nightmares since the sea crossing.", "Worried about family left behind.",
				"Witnessed violence during the journey.", "Separated from husband at the border.",
				"House destroyed by shelling." };
			char b[200];
			if (t == 0)
				snprintf(b, sizeof(b), "PHQ-2 score %d. %s", range(r, 3, 6), PICK(r, ctx));
			else if (t == 1)
				snprintf(b, sizeof(b), "PHQ-9 score %d. %s", range(r, 10, 24), PICK(r, ctx));
			else
				snprintf(b, sizeof(b), "GAD-7 score %d. %s", range(r, 10, 20), PICK(r, ctx));
			set(m, "note", json_string(b));
		}
	}
	set(e, "mental_health", m);
}

static json_t *diag(const char *code, const char *note)
{
	if (!known(code))
		return NULL;
	json_t *d = json_object();
	set(d, "code", json_string(code));
	if (note)
		set(d, "note", json_string(note));
	return d;
}

static json_t *treat(const char *code, const char *dosage, const char *note)
{
	if (!known(code))
		return NULL;
	json_t *t = json_object();
	set(t, "code", json_string(code));
	if (dosage)
		set(t, "dosage", json_string(dosage));
	if (note)
		set(t, "note", json_string(note));
	return t;
}

static json_t *referral(const char *reason, const char *to, const char *urgency)
{
	if (!known(reason))
		return NULL;
	json_t *x = json_object();
	set(x, "reason", json_string(reason));
	if (to)
		set(x, "to", json_string(to));
	if (urgency)
		set(x, "urgency", json_string(urgency));
	return x;
}

static void clinical(struct gen_case *c, json_t *e, json_t *plan)
{
	struct gen_rng *r = &c->rng;
	json_t *d = json_array(), *t = json_array(), *ref = json_array();
	if (c->tb_suspect) {
		add(d, diag("icd11:1B10.1", chance(r, 0.6) ? "Productive cough for a month, fever at night, lost weight. Three sputum samples taken." : NULL));
		add(ref, referral("icd11:1B10.1", "Chest clinic for TB work-up, isolation room", "urgent"));
	} else if (c->ltbi) {
		add(d, diag("icd11:1B14", chance(r, 0.3) ? "IGRA positive, chest X-ray normal." : NULL));
		if (chance(r, 0.5)) {
			add(t, treat("atc:J04AC01", c->age < 15 ? "10 mg/kg once daily, 6 months" : "300 mg once daily, 6 months",
				     NULL));
			add(t, treat("atc:A11HA02", "25 mg once daily, 6 months", NULL));
		} else if (chance(r, 0.5)) {
			add(t, treat("atc:J04AB02", c->age < 15 ? "15 mg/kg once daily, 4 months" : "600 mg once daily, 4 months",
				     NULL));
		} else {
			add(ref, referral("icd11:1B14", "TB clinic", "routine"));
		}
	}
	if (c->hbv) {
		add(d, diag(c->pregnant ? "icd11:JB63.4" : chance(r, 0.2) ? "icd10:B18.1" : "icd11:1E51.0",
			    c->pregnant ? "Baby to get hepatitis B vaccine and immunoglobulin after delivery." : NULL));
		add(ref, referral("icd11:1E51.0", c->pregnant ? "Liver clinic and antenatal clinic" : "Liver clinic",
				  c->pregnant ? "urgent" : "routine"));
	}
	if (c->hcv)
		add(ref, referral("icd11:1E51.1", "Liver clinic, HCV RNA pending", "routine"));
	if (c->hiv) {
		add(d, diag("icd11:1C62.Z", "Reactive screening test, confirmation pending."));
		add(ref, referral("icd11:1C62.Z", "Infectious diseases clinic", "urgent"));
	}
	if (c->strongy) {
		add(d, diag("icd11:1F6B", NULL));
		add(t, treat("atc:P02CF01", "200 µg/kg once daily, 2 days", c->pregnant ? "Deferred until after delivery." : NULL));
	}
	if (c->schisto) {
		add(d, diag("icd11:1F86", NULL));
		add(t, treat("atc:P02BA01", "40 mg/kg single dose", NULL));
	}
	if (c->malaria) {
		add(d, diag("icd11:1F40", "Rapid test positive, fever."));
		add(ref, referral("icd11:1F40", "Emergency department", "emergency"));
	}
	if (c->scabies) {
		add(d, diag("icd11:1G04.0", NULL));
		if (c->age < 5 || c->pregnant || chance(r, 0.6))
			add(t, treat("atc:P03AC04", "5% cream head to toe, second application in one week",
				     chance(r, 0.5) ? "Family members treated at the same time." : NULL));
		else
			add(t, treat("atc:P02CF01", "200 µg/kg single dose, repeat after 7 days", NULL));
	}
	if (c->anaemia) {
		add(d, diag("icd11:3A00", NULL));
		add(t, treat("atc:B03AA07", c->age < 12 ? "3 mg/kg once daily, 3 months" : "200 mg twice daily, 3 months", NULL));
	}
	if (c->pregnant)
		add(t, treat("atc:B03BB01", "0.4 mg once daily", NULL));
	if (c->age >= 2 && c->age < 15 && c->o->ssa && chance(r, 0.4))
		add(t, treat("atc:P02CA03", "400 mg single dose", "Presumptive deworming."));
	for (int i = 0; i < c->n_chronic; i++) {
		const struct chronic *ch = &chronic_table[c->chronic[i]];
		if (!chance(r, 0.5))
			continue;
		add(d, diag(ch->code, chance(r, 0.3) ? "Poorly controlled; out of tablets for several days." : NULL));
		if (ch->med[0] && chance(r, 0.7)) {
			char b[120];
			snprintf(b, sizeof(b), "%s, 30 days", ch->dose[0]);
			add(t, treat(ch->med[0], b, NULL));
		}
		if (chance(r, 0.3)) {
			static const char *const to[] = { "Diabetes clinic and eye check", "Cardiology",
				"Pulmonology", "Nephrology", "Internal medicine", "Endocrinology" };
			add(ref, referral(ch->code, PICK(r, to), "routine"));
		}
	}
	if (c->mh_pos && c->age >= 15 && chance(r, 0.4)) {
		static const char *const mh[] = { "icd11:6B40", "icd11:6A70", "icd11:6B00", "icd11:6B43", "icd11:7A00" };
		const char *code = PICK(r, mh);
		add(d, diag(code, NULL));
		if (chance(r, 0.5))
			add(ref, referral(code, chance(r, 0.5) ? "Psychologist, with interpreter" : "Mental health service",
					  chance(r, 0.85) ? "routine" : "urgent"));
	}
	if (chance(r, 0.12)) {
		add(t, treat(chance(r, 0.6) ? "atc:N02BE01" : "atc:M01AE01",
			     c->age < 12 ? "15 mg/kg up to 4 times daily, 3 days" : "500 mg up to 3 times daily, 5 days",
			     NULL));
	}
	set_array(e, "diagnoses", d);
	set_array(e, "treatments", t);
	if (json_array_size(ref) > 16)
		json_array_remove(ref, 16);
	set_array(plan, "referrals", ref);
}

/* Notes with the people they fit (bit 0 child <15, 1 adolescent, 2 adult,
 * 3 older; bit 4 pregnant only; bit 5 chronic illness only; bit 6 TB suspect only). */
struct note {
	const char *text;
	unsigned who;
};
#define ANY 0xfu
#define KIDS 0x1u
#define GROWN 0xcu

static const struct note plan_notes[] = {
	{ "Results to be explained with an interpreter.", ANY },
	{ "Recheck blood pressure in 2 weeks.", GROWN | 0x20 },
	{ "Isolate with a mask until TB is excluded; screen room-mates.", ANY | 0x40 },
	{ "Catch-up vaccination to continue at next visit.", ANY },
	{ "Bring all medicine boxes to the next visit.", GROWN | 0x20 },
	{ "Transfer to mainland camp planned; record given to the patient.", ANY },
	{ "Review pending results.", ANY },
	{ "Antenatal care booked.", GROWN | 0x10 },
	{ "Dental check needed.", ANY },
	{ "Glasses needed; refer to optician.", ANY },
	{ "Growth check in 3 months.", KIDS },
};

static const struct note general_notes[] = {
	{ "Lost vaccination card during the journey.", ANY },
	{ "Unaccompanied minor, accommodated in a shelter.", 0x2 },
	{ "Travelled with three children; all seen today.", 0x4 },
	{ "Sea crossing 4 days ago. Feet wounds dressed.", ANY },
	{ "Reports good health.", 0xe },
	{ "Interpreter by phone.", ANY },
	{ "Mother signed consent for the child.", KIDS },
	{ "Reports hearing loss in the left ear since childhood.", ANY },
	{ "Walks with a stick; old injury of the right knee.", GROWN },
	{ "Breastfed; eats family food.", KIDS },
	{ "Attends school in the camp.", KIDS | 0x2 },
	{ "Fled with his son; wife still in the country of origin.", 0xc },
};

static const char *pick_note(struct gen_case *c, const struct note *t, size_t n)
{
	unsigned need = 1u << c->group;
	int chronic = c->n_chronic > 0;
	for (int tries = 0; tries < 20; tries++) {
		const struct note *x = &t[gen_below(&c->rng, (uint32_t)n)];
		if (!(x->who & need) || ((x->who & 0x10) && !c->pregnant) || ((x->who & 0x20) && !chronic) ||
		    ((x->who & 0x40) && !c->tb_suspect))
			continue;
		return x->text;
	}
	return t[0].text;
}

static json_t *author(struct gen_case *c, int slot)
{
	json_t *a = json_object();
	set(a, "professional", json_string(c->professional[slot]));
	set(a, "role", json_string(c->role[slot]));
	if (slot == 0 && c->mediator[0])
		set(a, "mediator", json_string(c->mediator));
	return a;
}

json_t *gen_case_assessment(struct gen_case *c)
{
	struct gen_rng *r = &c->rng;
	gen_rng_init(r, c->seed, c->index * 4 + 1);
	json_t *e = json_object();
	set(e, "kind", json_string("assessment"));
	set(e, "date", date_json(c->visit));
	set(e, "identity", identity(c));
	set(e, "migration", migration(c));
	set(e, "consent", consent(c));
	history(c, e);
	set_array(e, "allergies", allergies(c));
	vaccinations(c, e);
	results(c, e);
	vitals(c, e);
	pregnancy(c, e);
	mental(c, e);
	json_t *plan = json_object();
	clinical(c, e, plan);
	if (chance(r, 0.8))
		set(plan, "follow_up", date_json(c->follow_day[0]));
	if (chance(r, 0.5))
		set(plan, "notes", json_string(pick_note(c, plan_notes, N_OF(plan_notes))));
	if (json_object_size(plan))
		set(e, "plan", plan);
	else
		json_decref(plan);
	set(e, "author", author(c, 0));
	if (chance(r, 0.35)) {
		char b[400];
		const char *n1 = pick_note(c, general_notes, N_OF(general_notes));
		const char *n2 = pick_note(c, general_notes, N_OF(general_notes));
		if (n1 != n2 && chance(r, 0.3))
			snprintf(b, sizeof(b), "%s %s", n1, n2);
		else
			snprintf(b, sizeof(b), "%s", n1);
		set(e, "notes", json_string(b));
	}
	return e;
}

json_t *gen_case_follow_up(struct gen_case *c, unsigned n)
{
	struct gen_rng *r = &c->rng;
	/* the follow-up depends on the assessment's state: regenerate it */
	json_decref(gen_case_assessment(c));
	gen_rng_init(r, c->seed, c->index * 4 + 2 + (n > 0));
	int64_t day = c->follow_day[n > 0];
	const char *hc = c->host->cc;
	json_t *e = json_object();
	set(e, "kind", json_string("follow_up"));
	set(e, "date", date_json(day));

	json_t *v = json_array();
	if (c->needs_mmr2 && n == 0)
		add(v, vacc("atc:J07BD52", 2, 2, date_json(day), hc, c->lot_mmr, "given"));
	if (c->needs_hexa && c->hexa_dose + 1 + (int)n <= 3)
		add(v, vacc("atc:J07CA09", c->hexa_dose + 1 + (int)n, 3, date_json(day), hc, c->lot_hexa, "given"));
	if (c->needs_td && c->age >= 15 && n < 2)
		add(v, vacc("atc:J07AM51", 2 + (int)n, 3, date_json(day), hc, c->lot_td, "given"));
	if (c->needs_hbv && n < 2)
		add(v, vacc("atc:J07BC01", 1 + (int)n, 3, date_json(day), hc, c->lot_hbv, "given"));
	if (json_array_size(v) == 0 && chance(r, 0.3))
		add(v, vacc("atc:J07BB02", 1, 1, date_json(day), hc, NULL, "given"));
	set_array(e, "vaccinations", v);

	json_t *res = json_array(), *d = json_array(), *t = json_array(), *ref = json_array();
	if (c->tb_suspect && n == 0) {
		int conf = chance(r, 0.5);
		add(res, result("loinc:11545-1", date_json(c->visit), pn(conf && chance(r, 0.6)), NULL, NULL, NULL));
		add(res, result("loinc:38379-4", date_json(c->visit), pn(conf), NULL, NULL,
				conf ? "No rifampicin resistance on Xpert." : NULL));
		if (conf) {
			add(d, diag("icd11:1B10.0", NULL));
			add(t, treat("atc:J04AM06", "4 tablets once daily, 2 months", "Directly observed therapy."));
		} else {
			add(d, diag("icd11:QA02.0", NULL));
		}
	}
	if (c->hcv && n == 0) {
		add(res, result("loinc:11259-9", date_json(c->visit), pn(c->hcv_rna), NULL, NULL, NULL));
		if (c->hcv_rna) {
			add(d, diag("icd11:1E51.1", NULL));
			if (chance(r, 0.5))
				add(t, treat("atc:J05AP55", "1 tablet once daily, 12 weeks", NULL));
		}
	}
	if (c->hbv && chance(r, 0.4)) {
		add(res, result("loinc:5196-1", date_json(day), "positive", NULL, NULL, "Persistent after 6 months."));
		if (chance(r, 0.3))
			add(t, treat("atc:J05AF07", "245 mg once daily", NULL));
	}
	if (c->anaemia) {
		double hb = 10 + gen_unit(r) * 3;
		add(res, result("loinc:718-7", date_json(day), hb < 11.5 ? "abnormal" : "normal", num(hb, 1), "g/dL", NULL));
	}
	for (int i = 0; i < c->n_chronic; i++) {
		if (c->chronic[i] == 0 && chance(r, 0.6)) {
			double a1c = 6.3 + gen_unit(r) * 2.5;
			add(res, result("loinc:4548-4", date_json(day), a1c > 7 ? "abnormal" : "normal", num(a1c, 1), "%", NULL));
		}
	}
	set_array(e, "results", res);

	json_t *vit = json_array();
	int htn = 0;
	for (int i = 0; i < c->n_chronic; i++)
		htn |= c->chronic[i] == 1;
	if (htn || chance(r, 0.3)) {
		double sys = htn ? 125 + gen_unit(r) * 30 : 110 + gen_unit(r) * 20;
		add(vit, vital("loinc:8480-6", num(sys, 0), "mm[Hg]"));
		add(vit, vital("loinc:8462-4", num(sys * 0.63, 0), "mm[Hg]"));
	}
	if (c->age < 5 || c->tb_suspect || chance(r, 0.3))
		add(vit, vital("loinc:29463-7", num(c->age < 5 ? 8 + c->age * 2.5 + gen_unit(r) : 55 + gen_unit(r) * 30, 1), "kg"));
	set_array(e, "vitals", vit);
	if (c->mh_pos && chance(r, 0.4)) {
		json_t *m = json_object();
		set(m, "screening", json_string(chance(r, 0.6) ? "positive" : "negative"));
		set_code(m, "tool", "loinc:44249-1");
		if (chance(r, 0.5))
			set(m, "note", json_string(chance(r, 0.5) ? "Sleeping better." : "Started counselling."));
		set(e, "mental_health", m);
	}
	if (c->scabies && n == 0 && chance(r, 0.5))
		add(t, treat("atc:P03AC04", "5% cream, second application", NULL));
	if (chance(r, 0.15))
		add(d, diag(chance(r, 0.5) ? "icd11:CA23" : "icd11:1G04.0", NULL));
	if (chance(r, 0.1)) {
		add(d, diag("icd11:1E90", NULL));
		add(t, treat("atc:N02BE01", "15 mg/kg up to 4 times daily, 3 days", NULL));
	}
	if (c->pregnant && chance(r, 0.5))
		add(ref, referral(c->hbv ? "icd11:JB63.4" : "icd11:1E51.0", "Antenatal clinic", "routine"));
	set_array(e, "diagnoses", d);
	set_array(e, "treatments", t);
	json_t *plan = json_object();
	set_array(plan, "referrals", ref);
	if (n == 0 && c->n_follow > 1)
		set(plan, "follow_up", date_json(c->follow_day[1]));
	else if (chance(r, 0.4))
		set(plan, "follow_up", date_json(day + range(r, 14, 90)));
	if (c->needs_hexa && n == 0 && c->hexa_dose == 1 && chance(r, 0.7))
		set(plan, "notes", json_string("Third hexavalent dose at next visit."));
	else if (c->needs_hbv && n == 0 && chance(r, 0.7))
		set(plan, "notes", json_string("Hepatitis B vaccine dose 2 in one month."));
	else if (chance(r, 0.4)) {
		static const char *const notes[] = { "Review results at next visit.", "Continue treatment; adherence good.",
			"Moved to another reception centre; record given to the patient.",
			"No further follow-up needed here." };
		set(plan, "notes", json_string(PICK(r, notes)));
	}
	if (json_object_size(plan))
		set(e, "plan", plan);
	else
		json_decref(plan);
	set(e, "author", author(c, 1 + (int)(n > 0)));
	if (chance(r, 0.2)) {
		static const char *const notes[] = { "Patient came with a relative who translated.",
			"Missed previous appointment.", "Feels well.", "Asks for a copy of the results." };
		set(e, "notes", json_string(PICK(r, notes)));
	}
	return e;
}

char *gen_entry_text(const json_t *entry, const char *what)
{
	char *text = phr_json_dump(entry);
	uint8_t *cbor = NULL;
	size_t len = 0;
	if (!text) {
		fprintf(stderr, "phr-gen: %s: cannot serialise the entry\n", what);
		abort();
	}
	if (phr_entry_parse_text(text, strlen(text), &cbor, &len) != PHR_OK) {
		fprintf(stderr, "phr-gen: %s is not a valid entry: %s\n%s\n", what, phr_last_error(), text);
		abort();
	}
	free(cbor);
	return text;
}
