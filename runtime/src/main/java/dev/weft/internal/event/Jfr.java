package dev.weft.internal.event;

import java.util.concurrent.atomic.AtomicBoolean;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

/**
 * Whether any JFR recording is running, as one static field that Weft's event sites read before they touch an event
 * class: {@code if (Jfr.recording) { var e = new CancelRequestedEvent(); if (e.shouldCommit()) { ...; e.commit(); } }}.
 *
 * <p>Things that don't work: creating the event and asking {@code shouldCommit()} everywhere, as the JDK's examples
 * do. Loading the first {@code jdk.jfr.Event} subclass costs about 150 ms of start-up (the JDK instruments event
 * classes as they load), and before C2 compiles the site the event is really allocated. Nor
 * {@code EventType.getEventType}, which starts JFR's metadata repository (as costly). Solution: a
 * {@link FlightRecorderListener} (about 1.5 ms, measured on JDK 25 with a cold JVM) keeps {@link #recording} up to
 * date; while it is false no event class is loaded or allocated, and an event site costs one field read. When it
 * is true, each event's own settings (enabled, threshold, throttle) decide through {@code shouldCommit()}, before
 * any field is computed.
 *
 * <h2>Thread safety</h2>
 * {@link #recording} is written by JFR's notification threads and read by any thread.
 */
public final class Jfr {
    private Jfr() {}

    /** Whether a recording is running. Written by the listener (any JFR thread); read by every event site. */
    public static volatile boolean recording;

    /** Whether {@link #watch()} has installed the listener. */
    private static final AtomicBoolean WATCHING = new AtomicBoolean();

    /** What to run once, the first time a recording runs (registers periodic hooks). Guarded by Jfr.class. */
    private static Runnable onFirstRecording;
    /** Whether {@link #onFirstRecording} ran. Guarded by Jfr.class. */
    private static boolean firstRecordingSeen;

    /** What to run on every change of a recording's state. Any thread. */
    private static final java.util.List<Runnable> ON_CHANGE = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Runs {@code hook} (which must not block) after every change of any recording's state. */
    public static void onRecordingChange(Runnable hook) {
        ON_CHANGE.add(hook);
        watch();
    }

    /**
     * Weft's JFR settings ({@code weft.jfc}, beside this class), for {@code weft run --jfr} and benchmarks. A named
     * module's resources are readable only from inside it, hence here.
     */
    public static java.io.InputStream weftJfc() {
        java.io.InputStream in = Jfr.class.getResourceAsStream("weft.jfc");
        if (in == null) {
            throw new IllegalStateException("the Weft runtime has no dev/weft/internal/event/weft.jfc; rebuild it with"
                    + " mvn -B -pl runtime install");
        }
        return in;
    }

    /** Installs the listener once per process (idempotent; cheap after the first call). Never throws. */
    public static void watch() {
        if (WATCHING.get() || !WATCHING.compareAndSet(false, true)) {
            return;
        }
        try {
            FlightRecorder.addListener(new FlightRecorderListener() {
                @Override
                public void recorderInitialized(FlightRecorder recorder) {
                    update(recorder);
                }

                @Override
                public void recordingStateChanged(Recording changed) {
                    update(FlightRecorder.getFlightRecorder());
                    for (Runnable r : ON_CHANGE) {
                        r.run();
                    }
                }
            });
        } catch (RuntimeException | LinkageError unsupported) {
            recording = false; // a JVM without JFR (or with it disabled): every event site stays off
        }
    }

    /**
     * Runs {@code hook} the first time a recording runs in this process (at once if one runs now): how periodic
     * event hooks are registered without loading JFR in a process that never records.
     */
    public static void onFirstRecording(Runnable hook) {
        boolean runNow;
        synchronized (Jfr.class) {
            runNow = firstRecordingSeen;
            if (!runNow) {
                Runnable before = onFirstRecording;
                onFirstRecording = before == null ? hook : () -> {
                    before.run();
                    hook.run();
                };
            }
        }
        if (runNow) {
            hook.run();
        }
        watch();
    }

    private static void update(FlightRecorder recorder) {
        boolean any = false;
        for (Recording r : recorder.getRecordings()) {
            if (r.getState() == RecordingState.RUNNING) {
                any = true;
                break;
            }
        }
        Runnable first = null;
        if (any) {
            synchronized (Jfr.class) {
                if (!firstRecordingSeen) {
                    firstRecordingSeen = true;
                    first = onFirstRecording;
                    onFirstRecording = null;
                }
            }
        }
        if (first != null) {
            first.run(); // before the flag: a periodic hook is registered before any event site commits
        }
        recording = any;
    }
}
