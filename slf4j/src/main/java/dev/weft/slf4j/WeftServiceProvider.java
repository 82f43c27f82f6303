package dev.weft.slf4j;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J provider that puts {@link WeftMdcAdapter} in front of the real backend (Logback, Log4j 2's SLF4J
 * binding, slf4j-simple): loggers and markers are the backend's; the MDC is Weft's. Chosen by name, so that no second
 * provider on the class path competes with the backend's:
 *
 * {@snippet class=dev.weft.slf4j.Snippets region=provider}
 *
 * <p>The backend is the first other {@link SLF4JServiceProvider} that {@link ServiceLoader} finds. Where the
 * backend's logger factory has a {@code setMDCAdapter(MDCAdapter)} method (Logback's {@code LoggerContext}, which
 * reads each log line's MDC from its own adapter), the Weft adapter is set there too, so the values a task put are in
 * its lines.
 *
 * <h2>Exceptions</h2>
 * {@link #initialize()} throws {@link IllegalStateException} if no backend is on the class path (the message says
 * which jar to add).
 *
 * <h2>Thread safety</h2>
 * SLF4J initializes the provider once; afterwards every method is read-only.
 */
public final class WeftServiceProvider implements SLF4JServiceProvider {
    /** The backend; set once by {@link #initialize()}. */
    private SLF4JServiceProvider backend;
    /** The Weft adapter over the backend's; set once by {@link #initialize()}. */
    private WeftMdcAdapter mdc;

    /** Called by SLF4J through {@link ServiceLoader} conventions (public, no arguments). */
    public WeftServiceProvider() {}

    @Override
    public ILoggerFactory getLoggerFactory() {
        return backend.getLoggerFactory();
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return backend.getMarkerFactory();
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return backend != null ? backend.getRequestedApiVersion() : "2.0.99";
    }

    @Override
    public void initialize() {
        List<SLF4JServiceProvider> found = new ArrayList<>();
        for (SLF4JServiceProvider p : ServiceLoader.load(SLF4JServiceProvider.class)) {
            if (!(p instanceof WeftServiceProvider)) {
                found.add(p);
            }
        }
        if (found.isEmpty()) {
            throw new IllegalStateException("weft-slf4j: no SLF4J backend on the class path; add one (e.g."
                    + " logback-classic) beside weft-slf4j, or drop -Dslf4j.provider=" + getClass().getName());
        }
        backend = found.getFirst();
        backend.initialize();
        mdc = new WeftMdcAdapter(backend.getMDCAdapter());
        ILoggerFactory factory = backend.getLoggerFactory();
        try {
            Method set = factory.getClass().getMethod("setMDCAdapter", MDCAdapter.class);
            set.invoke(factory, mdc); // Logback: each line's MDC comes from the context's adapter
        } catch (NoSuchMethodException other) {
            // a backend that asks SLF4J's MDC (or getMDCAdapter) for each line: nothing to set
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("weft-slf4j: cannot give " + factory.getClass().getName()
                    + " the Weft MDC adapter (" + e + "); log lines would miss the task's MDC values", e);
        }
    }
}
