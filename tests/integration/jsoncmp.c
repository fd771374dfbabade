/* jsoncmp A B: exit 0 if two JSON files hold the same value (numbers
 * compared by value, so 36 equals 36.0; object key order ignored). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>

static int same(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return fabs(json_number_value(a) - json_number_value(b)) < 1e-9;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		const char *k;
		json_t *v;
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v) {
			const json_t *w = json_object_get(b, k);
			if (!w || !same(v, w))
				return 0;
		}
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!same(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

int main(int argc, char **argv)
{
	json_error_t e;
	if (argc != 3) {
		fprintf(stderr, "usage: jsoncmp A.json B.json\n");
		return 2;
	}
	json_t *a = json_load_file(argv[1], 0, &e);
	if (!a) {
		fprintf(stderr, "jsoncmp: %s: %s\n", argv[1], e.text);
		return 2;
	}
	json_t *b = json_load_file(argv[2], 0, &e);
	if (!b) {
		fprintf(stderr, "jsoncmp: %s: %s\n", argv[2], e.text);
		return 2;
	}
	int r = same(a, b);
	if (!r)
		fprintf(stderr, "jsoncmp: %s and %s differ\n", argv[1], argv[2]);
	json_decref(a);
	json_decref(b);
	return r ? 0 : 1;
}
