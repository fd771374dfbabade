// zxing-cpp behind zxing.h's C interface. No exception leaves this file.
#include "zxing.h"

#include <new>

#include <ZXing/ReadBarcode.h>

extern "C" int zx_scan(const uint8_t *grey, int w, int h, zx_symbol_fn fn, void *ctx)
{
	try {
		ZXing::DecodeHints hints;
		// QR only; a QR symbol reads at any angle, so no rotated retries;
		// symbols that were located but not decoded come back with an error.
		hints.setFormats(ZXing::BarcodeFormat::QRCode);
		hints.setTryHarder(true);
		hints.setTryRotate(false);
		hints.setTryDownscale(true);
		hints.setReturnErrors(true);
		hints.setMaxNumberOfSymbols(255);
		ZXing::ImageView view(grey, w, h, ZXing::ImageFormat::Lum);
		ZXing::Results results = ZXing::ReadBarcodes(view, hints);
		for (const ZXing::Result &r : results) {
			struct zx_symbol s = {};
			const ZXing::ByteArray &bytes = r.bytes();
			s.failed = r.error() ? 1 : 0;
			if (!s.failed) {
				s.data = bytes.data();
				s.len = bytes.size();
			}
			const ZXing::Position &p = r.position();
			for (int i = 0; i < 4; i++) {
				s.x[i] = p[i].x;
				s.y[i] = p[i].y;
			}
			int rc = fn(ctx, &s);
			if (rc < 0)
				return rc;
		}
		return ZX_OK;
	} catch (const std::bad_alloc &) {
		return ZX_NOMEM;
	} catch (...) {
		return ZX_FAILED;
	}
}
