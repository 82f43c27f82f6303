package dev.weft.internal.budget;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * Human-readable byte sizes: formatting for messages and reports, parsing for flags and properties.
 *
 * <h2>Thread safety</h2>
 * Stateless.
 */
public final class ByteSizes {
    private ByteSizes() {}

    /** {@code 1536} → {@code "1.5 KiB"}; exact bytes below 1 KiB. */
    public static String format(long bytes) {
        if (bytes == Long.MIN_VALUE) {
            return "-8.0 EiB";
        }
        if (bytes < 0) {
            return "-" + format(-bytes);
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        // Not String.format: that loads locale data (CLDR) on first use, and the first use may be a memory
        // error's message with the heap exhausted; an OutOfMemoryError in a JDK class initializer breaks that
        // class for good (seen: the watchdog's first message killed every later String.format in the process).
        // The same digits as %.1f: the double's shortest decimal, rounded half-up to one place.
        return BigDecimal.valueOf(v).setScale(1, RoundingMode.HALF_UP).toPlainString() + " " + units[u];
    }

    /**
     * Parses {@code 512}, {@code 64k}, {@code 64m}, {@code 2g}, {@code 64MiB}, {@code 1.5g} (binary units,
     * case-insensitive).
     *
     * @throws IllegalArgumentException naming the flag and the accepted forms
     */
    public static long parse(String text, String what) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(what + " is empty; give a size such as 64m, 1g or 1048576");
        }
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("b") && s.length() > 1 && !Character.isDigit(s.charAt(s.length() - 2))) {
            s = s.substring(0, s.length() - 1);
        } else if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        long unit = 1;
        char last = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
        switch (last) {
            case 'k' -> unit = 1L << 10;
            case 'm' -> unit = 1L << 20;
            case 'g' -> unit = 1L << 30;
            case 't' -> unit = 1L << 40;
            default -> unit = 1;
        }
        if (unit != 1) {
            s = s.substring(0, s.length() - 1);
        }
        try {
            double v = Double.parseDouble(s.trim());
            if (v >= 0 && v * unit > 0x1p63) {
                throw new IllegalArgumentException(what + " '" + text + "' is larger than 8 EiB, the most a size can be;"
                        + " give a size such as 64m, 1g, 512MiB or 1048576 (bytes)");
            }
            if (!(v >= 0)) {
                throw new NumberFormatException();
            }
            return (long) Math.ceil(v * unit);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + text + "' is not a size; give a size such as 64m,"
                    + " 1g, 512MiB or 1048576 (bytes)");
        }
    }
}
