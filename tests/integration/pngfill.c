/* pngfill IN.png OUT.png X0 Y0 X1 Y1: IN with the rectangle [X0, X1) x
 * [Y0, Y1) (pixels, clipped to the picture) painted white, as a stain
 * scraped off or a torn-out corner would leave it: the printed-code tests
 * (print_codes.sh) blank one code of a page at a time with it. */
#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>

static int die(const char *msg)
{
	fprintf(stderr, "pngfill: %s\n", msg);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc != 7)
		return die("usage: pngfill IN.png OUT.png X0 Y0 X1 Y1");
	cairo_surface_t *s = cairo_image_surface_create_from_png(argv[1]);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
		return die("cannot read the input PNG");
	double x0 = atof(argv[3]), y0 = atof(argv[4]), x1 = atof(argv[5]), y1 = atof(argv[6]);
	if (x1 <= x0 || y1 <= y0)
		return die("the rectangle is empty");
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
	cairo_fill(cr);
	cairo_destroy(cr);
	cairo_status_t st = cairo_surface_write_to_png(s, argv[2]);
	cairo_surface_destroy(s);
	return st == CAIRO_STATUS_SUCCESS ? 0 : die("cannot write the output PNG");
}
