package dev.weft.slf4j;

import dev.weft.ContextVar;
import dev.weft.Weft;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.spi.MDCAdapter;

/**
 * SLF4J's MDC kept in Weft's task context: inside a Weft task, {@code MDC.put}, {@code get}, {@code remove} and
 * {@code clear} read and write an immutable map held by a {@link ContextVar}, so the values are the task's own on
 * whatever carrier it runs, survive {@link Weft#moveTo} (they hang off the task, not the thread), never leak into
 * another task's lines, and a child task starts with its parent's values as they were at spawn (Python
 * {@code contextvars} semantics: later changes on either side are not seen by the other). Outside a task
 * (platform threads, virtual threads the program starts itself) every call goes to the backend's own adapter, as
 * without the bridge.
 *
 * {@snippet class=dev.weft.slf4j.Snippets region=mdc}
 *
 * <p>A log line's MDC is {@link #getCopyOfContextMap()}: the backend's values for the thread with the task's on top.
 * The deque operations ({@code pushByKey} and friends) stay the backend's: per thread, so per task, not inherited.
 *
 * <h2>Thread safety</h2>
 * Any thread; each task or thread sees only its own map. The map is immutable and replaced on every write (an MDC
 * holds a handful of keys).
 */
public final class WeftMdcAdapter implements MDCAdapter {
    /** The task's MDC values. Immutable maps; written and read by the task's own thread. */
    private static final ContextVar<Map<String, String>> VALUES = ContextVar.withDefault("weft.slf4j.mdc", Map.of());

    private final MDCAdapter backend;

    /** Wraps {@code backend}, which keeps the values of threads that are not Weft tasks. */
    public WeftMdcAdapter(MDCAdapter backend) {
        if (backend == null) {
            throw new NullPointerException("backend is null; pass the SLF4J backend's MDCAdapter");
        }
        this.backend = backend;
    }

    /** The backend's adapter (threads that are not tasks). */
    public MDCAdapter backend() {
        return backend;
    }

    @Override
    public void put(String key, String val) {
        if (key == null) {
            throw new IllegalArgumentException("MDC key must not be null");
        }
        if (!Weft.inTask()) {
            backend.put(key, val);
            return;
        }
        Map<String, String> m = new HashMap<>(VALUES.get());
        if (val == null) {
            m.remove(key);
        } else {
            m.put(key, val);
        }
        VALUES.set(Map.copyOf(m));
    }

    @Override
    public String get(String key) {
        if (!Weft.inTask()) {
            return backend.get(key);
        }
        String v = VALUES.get().get(key);
        return v != null ? v : backend.get(key);
    }

    @Override
    public void remove(String key) {
        if (!Weft.inTask()) {
            backend.remove(key);
            return;
        }
        Map<String, String> now = VALUES.get();
        if (now.containsKey(key)) {
            Map<String, String> m = new HashMap<>(now);
            m.remove(key);
            VALUES.set(Map.copyOf(m));
        }
        backend.remove(key);
    }

    @Override
    public void clear() {
        if (Weft.inTask()) {
            VALUES.set(Map.of());
        }
        backend.clear();
    }

    @Override
    public Map<String, String> getCopyOfContextMap() {
        Map<String, String> own = backend.getCopyOfContextMap();
        if (!Weft.inTask()) {
            return own;
        }
        Map<String, String> task = VALUES.get();
        if (task.isEmpty()) {
            return own;
        }
        Map<String, String> m = own == null ? new HashMap<>() : new HashMap<>(own);
        m.putAll(task);
        return Collections.unmodifiableMap(m);
    }

    @Override
    public void setContextMap(Map<String, String> contextMap) {
        if (!Weft.inTask()) {
            backend.setContextMap(contextMap);
            return;
        }
        VALUES.set(contextMap == null ? Map.of() : Map.copyOf(contextMap));
    }

    @Override
    public void pushByKey(String key, String value) {
        backend.pushByKey(key, value);
    }

    @Override
    public String popByKey(String key) {
        return backend.popByKey(key);
    }

    @Override
    public Deque<String> getCopyOfDequeByKey(String key) {
        return backend.getCopyOfDequeByKey(key);
    }

    @Override
    public void clearDequeByKey(String key) {
        backend.clearDequeByKey(key);
    }
}
