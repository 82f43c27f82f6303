package dev.weft.internal.memory;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;

/**
 * Reads the HotSpot flags that decide the object layout. Runs once per JVM (from {@code ObjectLayout.current()}).
 *
 * <p>Things that don't work: measuring a probe object (needs {@code Instrumentation} or {@code sun.misc.Unsafe},
 * whose memory methods are deprecated for removal and warn in JDK 25); parsing the command line (misses
 * ergonomics: a 32 GiB heap turns compressed oops off silently). Solution: ask the VM for the flags' final
 * values through {@link HotSpotDiagnosticMXBean}.
 */
public final class LayoutDetection {
    private LayoutDetection() {}

    /** Whether {@code String} stores Latin-1 text in one byte per char ({@code -XX:+CompactStrings}, the default). */
    public static boolean compactStrings() {
        return CompactStrings.ENABLED;
    }

    /**
     * The layout in force.
     *
     * @throws UnsupportedOperationException naming the flag to change if this JVM runs no supported layout
     */
    public static Layout detect() {
        if (!"64".equals(System.getProperty("sun.arch.data.model", "64"))) {
            throw new UnsupportedOperationException("Weft sizing supports 64-bit JVMs only; this JVM reports "
                    + "sun.arch.data.model=" + System.getProperty("sun.arch.data.model") + "; run a 64-bit JDK 25");
        }
        HotSpotDiagnosticMXBean flags = hotSpot();
        boolean compactHeaders = flagBoolean(flags, "UseCompactObjectHeaders", false);
        boolean compressedOops = flagBoolean(flags, "UseCompressedOops", true);
        boolean compressedClassPointers = flagBoolean(flags, "UseCompressedClassPointers", true);
        String alignment = flagValue(flags, "ObjectAlignmentInBytes", "8");
        if (!"8".equals(alignment)) {
            throw new UnsupportedOperationException("Weft sizing supports 8-byte object alignment only; this JVM "
                    + "runs -XX:ObjectAlignmentInBytes=" + alignment + "; remove that flag");
        }
        if (!compressedClassPointers) {
            // JDK 25 turns compact headers off without compressed class pointers: this is a 16-byte header
            throw new UnsupportedOperationException("Weft sizing does not support 16-byte headers; this JVM runs "
                    + "-XX:-UseCompressedClassPointers; remove that flag (it is deprecated in JDK 25)");
        }
        return of(compactHeaders, compressedOops);
    }

    /** The layout of a JVM with these flags (and compressed class pointers, 8-byte alignment). */
    private static Layout of(boolean compactHeaders, boolean compressedOops) {
        if (compactHeaders) {
            return compressedOops ? Layout.COMPACT_HEADERS : Layout.COMPACT_HEADERS_UNCOMPRESSED_OOPS;
        }
        return compressedOops ? Layout.COMPRESSED_OOPS : Layout.UNCOMPRESSED_OOPS;
    }

    private static HotSpotDiagnosticMXBean hotSpot() {
        HotSpotDiagnosticMXBean bean;
        try {
            bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        } catch (RuntimeException | LinkageError e) {
            bean = null;
        }
        if (bean == null) {
            throw new UnsupportedOperationException("Weft sizing needs a HotSpot JVM (the HotSpotDiagnostic "
                    + "MXBean is missing on " + System.getProperty("java.vm.name") + "); run on a HotSpot JDK 25");
        }
        return bean;
    }

    private static boolean flagBoolean(HotSpotDiagnosticMXBean flags, String name, boolean absent) {
        String value = flagValue(flags, name, Boolean.toString(absent));
        return Boolean.parseBoolean(value);
    }

    private static String flagValue(HotSpotDiagnosticMXBean flags, String name, String absent) {
        try {
            VMOption option = flags.getVMOption(name);
            return option.getValue();
        } catch (IllegalArgumentException e) {
            return absent; // flag unknown to this VM build: it has the default behaviour
        }
    }

    /** Lazy holder so the flag is read only by code that models strings. */
    private static final class CompactStrings {
        static final boolean ENABLED = flagBoolean(hotSpot(), "CompactStrings", true);
    }
}
