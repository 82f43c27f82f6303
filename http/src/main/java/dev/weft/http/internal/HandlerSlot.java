package dev.weft.http.internal;

import dev.weft.CancelScope;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.Reservation;
import dev.weft.memory.RuntimeStaticSized;
import dev.weft.memory.Sizes;
import java.nio.ByteBuffer;

/**
 * One of the server's {@code handlersMax} handler slots: everything a request being handled needs, allocated
 * once at startup. A request holds a slot from admission until its response is written (or its connection is
 * gone); the slot's buffers, its response fields and its memory budget are the request's meanwhile.
 *
 * <h2>Memory</h2>
 * {@link #deepSizeBytesMax()} counts the slot, its request body buffer ({@code bodyBytesMax}), its response
 * body buffer ({@code responseBytesMax}), its response field arrays and the public views the server attaches
 * ({@code viewBytes}). The handler's own working memory is not part of this object: it is the slot's
 * {@linkplain #budget() budget} (soft limit {@code handlerMemoryBytes}, plus its grace), a separate line of the
 * plan, held on the handlers' budget by the slot while the slot is idle and lent to the handler's budget while
 * it is busy ({@link #lend()}, {@link #reclaim()}). Strings the handler makes (header values, the body it
 * builds before copying it in) are the handler's; they should be reserved on its budget if large.
 *
 * <h2>Thread safety</h2>
 * Request fields are written by the connection task before it spawns the handler task (the spawn is the
 * happens-before edge); response fields and the outcome by the handler task, which also writes the answer and
 * returns the slot; {@link #disconnected} is volatile (set by the connection task while the handler runs, under
 * the connection's lock that orders it against the handler's end; read by the handler task).
 */
public final class HandlerSlot implements RuntimeStaticSized {
    /** How a request ended, as the connection answers it. */
    public enum Outcome {
        /** The handler returned: its response is sent. */
        OK,
        /** The per-request deadline cancelled the handler: 504. */
        DEADLINE,
        /** The client went away; the handler was cancelled; nothing is sent. */
        DISCONNECTED,
        /** The handler exceeded its memory budget: 507 with the error's message. */
        MEMORY,
        /** The handler threw: 500. */
        FAILED
    }

    private final int index;
    private final ByteBuffer body;
    private final ByteBuffer response;
    private final String[] responseNames = new String[Limits.RESPONSE_HEADERS_MAX];
    private final String[] responseValues = new String[Limits.RESPONSE_HEADERS_MAX];
    private final MemoryBudget handlersBudget;
    private final MemoryBudget budget;
    private final long holdBytes;
    private final long sizeBytesMax;
    /** The handler task's and the request scope's names, made once (the slot's request shows in its toString). */
    private final String taskName;
    private final String requestScopeName;

    /** The plan's bytes for this slot's budget while idle, or null while lent or unbacked. Holder of the slot. */
    private Reservation idleHold;
    /** Fields below: the request holding the slot (see the class comment). */
    private RequestHead head;
    private CancelScope scope;
    private long deadlineNs;
    private int status;
    private int responseCount;
    private Outcome outcome;
    private String failure;
    /** Set by the connection task when the client went away; read by the handler task and the views. */
    private volatile boolean disconnected;
    /** The public views of this slot (request and response), set once before the slot is first used. */
    private Object views;

    /**
     * A slot with its buffers; {@code budget} is its handler budget (a child of {@code handlersBudget}) and
     * {@code holdBytes} that budget's limit plus grace.
     */
    public HandlerSlot(int index, Limits limits, MemoryBudget handlersBudget, MemoryBudget budget, long viewBytes) {
        this.index = index;
        this.body = ByteBuffer.allocate(limits.bodyBytesMax());
        this.response = ByteBuffer.allocate(limits.responseBytesMax());
        this.handlersBudget = handlersBudget;
        this.budget = budget;
        this.holdBytes = Sizes.add(limits.handlerMemoryBytes(), limits.handlerGraceBytes());
        this.sizeBytesMax = sizeBytesMax(limits, viewBytes);
        this.taskName = "http-handler-" + index;
        this.requestScopeName = "http request in handler slot " + index;
    }

    /** The handler task's name. */
    String taskName() {
        return taskName;
    }

    /** The request cancel scope's name. */
    String requestScopeName() {
        return requestScopeName;
    }

    /** The footprint of one slot for {@code limits}, without building one. */
    public static long sizeBytesMax(Limits limits, long viewBytes) {
        return Sizes.sum(Sizes.shallowSizeBytes(HandlerSlot.class),
                Sizes.byteBufferSizeBytes(limits.bodyBytesMax()),
                Sizes.byteBufferSizeBytes(limits.responseBytesMax()),
                Sizes.multiply(2, Sizes.arraySizeBytes(String.class, Limits.RESPONSE_HEADERS_MAX)),
                Sizes.multiply(2, Connection.NAME_BYTES_MAX), // the task's and the request scope's names
                viewBytes);
    }

    @Override
    public long deepSizeBytesMax() {
        return sizeBytesMax;
    }

    /** The slot's index in {@code 0..handlersMax-1}. */
    public int index() {
        return index;
    }

    /** The handler's memory budget (soft limit {@code handlerMemoryBytes}). */
    public MemoryBudget budget() {
        return budget;
    }

    /** Takes the plan's bytes for this slot's budget onto the handlers' budget (startup, and after each request). */
    public boolean reclaim() {
        assert idleHold == null : "slot " + index + " holds its plan bytes already";
        idleHold = handlersBudget.tryReserve(holdBytes);
        return idleHold != null;
    }

    /** Releases the idle hold so the handler's budget can use those bytes. */
    void lend() {
        if (idleHold != null) {
            idleHold.close();
            idleHold = null;
        }
    }

    /** Releases everything the slot holds on the handlers' budget (server close). */
    void closeHold() {
        lend();
    }

    /** Starts a request in this slot (connection task). */
    void begin(RequestHead head, CancelScope scope, long deadlineNs) {
        this.head = head;
        this.scope = scope;
        this.deadlineNs = deadlineNs;
        this.body.clear();
        this.response.clear();
        java.util.Arrays.fill(responseNames, 0, responseCount, null);
        java.util.Arrays.fill(responseValues, 0, responseCount, null);
        this.responseCount = 0;
        this.status = 200;
        this.outcome = null;
        this.failure = null;
        this.disconnected = false;
    }

    /** Clears the request's references when the slot returns (connection task). */
    void end() {
        head = null;
        scope = null;
        failure = null;
    }

    /** The request's head. */
    public RequestHead head() {
        return head;
    }

    /** The request's cancel scope (its deadline, and a disconnect, cancel it). */
    public CancelScope scope() {
        return scope;
    }

    /** The request's deadline on {@code Weft.nanoTime()}. */
    public long deadlineNs() {
        return deadlineNs;
    }

    /** The request body buffer: written by the connection while reading the body, flipped before the handler. */
    public ByteBuffer body() {
        return body;
    }

    /** The response body buffer (write mode while the handler runs). */
    public ByteBuffer response() {
        return response;
    }

    /** Whether the client went away while the request was handled. */
    public boolean disconnected() {
        return disconnected;
    }

    void markDisconnected() {
        disconnected = true;
    }

    /** The response status. */
    public int status() {
        return status;
    }

    /** Sets the response status (handler). */
    public void status(int status) {
        this.status = status;
    }

    /**
     * Adds a response field (handler).
     *
     * @throws IllegalStateException past {@link Limits#RESPONSE_HEADERS_MAX} fields
     */
    public void addField(String name, String value) {
        if (responseCount == responseNames.length) {
            throw new IllegalStateException("response has " + responseCount + " header fields, the most a handler"
                    + " slot holds; set fewer (combine values with commas)");
        }
        responseNames[responseCount] = name;
        responseValues[responseCount] = value;
        responseCount++;
    }

    /** Replaces every response field called {@code name} by one with {@code value} (handler). */
    public void setField(String name, String value) {
        int w = 0;
        for (int r = 0; r < responseCount; r++) {
            if (!responseNames[r].equalsIgnoreCase(name)) {
                responseNames[w] = responseNames[r];
                responseValues[w] = responseValues[r];
                w++;
            }
        }
        for (int i = w; i < responseCount; i++) {
            responseNames[i] = null;
            responseValues[i] = null;
        }
        responseCount = w;
        addField(name, value);
    }

    /** Drops the response the handler built so far (an error response replaces it). */
    void clearResponse() {
        java.util.Arrays.fill(responseNames, 0, responseCount, null);
        java.util.Arrays.fill(responseValues, 0, responseCount, null);
        responseCount = 0;
        response.clear();
    }

    int responseCount() {
        return responseCount;
    }

    String responseName(int i) {
        return responseNames[i];
    }

    String responseValue(int i) {
        return responseValues[i];
    }

    /** How the request ended (set by the handler task before its completion event). */
    Outcome outcome() {
        return outcome;
    }

    void outcome(Outcome outcome, String failure) {
        this.outcome = outcome;
        this.failure = failure;
    }

    /** Why the request failed (for 500 and 507 bodies), or null. */
    String failure() {
        return failure;
    }

    /** The public views attached by the server. */
    public Object views() {
        return views;
    }

    /** Attaches the public views, once. */
    public void views(Object views) {
        assert this.views == null : "views are attached once";
        this.views = views;
    }

    @Override
    public String toString() {
        return "HandlerSlot[" + index + (head == null ? ", idle]" : ", " + head.method() + " " + head.target() + "]");
    }
}
