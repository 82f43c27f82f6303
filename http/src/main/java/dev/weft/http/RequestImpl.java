package dev.weft.http;

import dev.weft.CancelScope;
import dev.weft.http.internal.HandlerSlot;
import dev.weft.http.internal.RequestHead;
import dev.weft.memory.MemoryBudget;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A handler slot's request view; one per slot, reused. */
final class RequestImpl implements Request {
    private final HandlerSlot slot;
    /** Decoded query parameters, made on first use. The handler's task. */
    private Map<String, List<String>> params;

    RequestImpl(HandlerSlot slot) {
        this.slot = slot;
    }

    void begin() {
        params = null;
    }

    private RequestHead head() {
        RequestHead h = slot.head();
        if (h == null) {
            throw new IllegalStateException("the request was used after its handler returned; copy what you need"
                    + " while the handler runs");
        }
        return h;
    }

    @Override
    public String method() {
        return head().method();
    }

    @Override
    public String path() {
        return head().path();
    }

    @Override
    public String query() {
        return head().query();
    }

    @Override
    public Optional<String> queryParam(String name) {
        List<String> v = queryParams().get(name);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.getFirst());
    }

    @Override
    public Map<String, List<String>> queryParams() {
        if (params == null) {
            Map<String, List<String>> m = new LinkedHashMap<>();
            String q = head().query();
            if (!q.isEmpty()) {
                for (String pair : q.split("&")) {
                    if (pair.isEmpty()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    String k = decode(eq < 0 ? pair : pair.substring(0, eq));
                    String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
                    m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
                }
            }
            m.replaceAll((k, v) -> List.copyOf(v));
            params = Collections.unmodifiableMap(m);
        }
        return params;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // a malformed escape: the raw text
        }
    }

    @Override
    public Optional<String> header(String name) {
        return Optional.ofNullable(head().field(name));
    }

    @Override
    public List<String> headers(String name) {
        RequestHead h = head();
        List<String> out = new ArrayList<>(1);
        for (int i = 0; i < h.fieldCount(); i++) {
            if (h.fieldName(i).equalsIgnoreCase(name)) {
                out.add(h.fieldValue(i));
            }
        }
        return List.copyOf(out);
    }

    @Override
    public List<String> headerNames() {
        RequestHead h = head();
        List<String> out = new ArrayList<>(h.fieldCount());
        for (int i = 0; i < h.fieldCount(); i++) {
            out.add(h.fieldName(i));
        }
        return List.copyOf(out);
    }

    @Override
    public ByteBuffer body() {
        head();
        return slot.body().asReadOnlyBuffer();
    }

    @Override
    public String bodyText() {
        ByteBuffer b = body();
        return StandardCharsets.UTF_8.decode(b).toString();
    }

    @Override
    public CancelScope cancelScope() {
        head();
        return slot.scope();
    }

    @Override
    public long deadlineNs() {
        return slot.deadlineNs();
    }

    @Override
    public boolean clientGone() {
        return slot.disconnected();
    }

    @Override
    public MemoryBudget memoryBudget() {
        return slot.budget();
    }

    @Override
    public String toString() {
        RequestHead h = slot.head();
        return h == null ? "Request[done]" : "Request[" + h.method() + " " + h.target() + "]";
    }
}
