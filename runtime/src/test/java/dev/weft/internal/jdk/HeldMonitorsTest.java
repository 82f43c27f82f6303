package dev.weft.internal.jdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DynamicCallSiteDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.CallSite;
import java.lang.invoke.ConstantCallSite;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.AccessFlag;
import java.util.List;
import java.util.Vector;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The live stack walk sees a monitor held by any frame, on platform and virtual threads, and the frames where a throw
 * cannot be undone.
 */
class HeldMonitorsTest {
    @Test
    void seesMonitorsHeldByTheCallerAndByJdkCodeOnPlatformAndVirtualThreads() throws Exception {
        assertThat(HeldMonitors.available()).as("LiveStackFrame on this JDK: %s", HeldMonitors.missing()).isTrue();
        for (boolean virtual : new boolean[] {false, true}) {
            AtomicBoolean none = new AtomicBoolean(true);
            AtomicBoolean inBlock = new AtomicBoolean();
            AtomicBoolean inCaller = new AtomicBoolean();
            AtomicBoolean inJdkCallback = new AtomicBoolean();
            Runnable probe = () -> {
                none.set(HeldMonitors.heldByCurrentThread());
                Object lock = new Object();
                synchronized (lock) {
                    inBlock.set(HeldMonitors.heldByCurrentThread());
                }
                inCaller.set(lockedCaller());
                none.compareAndSet(false, HeldMonitors.heldByCurrentThread()); // after the block and the call
                new Vector<>(List.of(1)).forEach(x -> inJdkCallback.set(HeldMonitors.heldByCurrentThread()));
            };
            Thread t = virtual ? Thread.ofVirtual().start(probe) : Thread.ofPlatform().start(probe);
            t.join();
            assertThat(none).as("virtual=%s, nothing held", virtual).isFalse();
            assertThat(inBlock).as("virtual=%s, own block", virtual).isTrue();
            assertThat(inCaller).as("virtual=%s, a caller's synchronized method", virtual).isTrue();
            assertThat(inJdkCallback).as("virtual=%s, Vector.forEach's callback", virtual).isTrue();
        }
    }

    @Test
    void staticInitializersAndCallSiteLinkingAreFramesWhereAThrowCannotBeUndone() throws Throwable {
        assertThat(HeldMonitors.check()).isEqualTo(HeldMonitors.NOT_HELD);
        assertThat(InitProbe.SEEN).as("inside a static initializer").isEqualTo(HeldMonitors.IN_LINKAGE);
        assertThat(InitProbe.SEEN_LOCKED).as("a monitor is still reported as one").isEqualTo(HeldMonitors.HELD);
        assertThat(InitProbe.HELD_LOCKED).isTrue();
        // a call site whose bootstrap method looks: linking runs below MethodHandleNatives
        byte[] indy = ClassFile.of().build(ClassDesc.of(getClass().getPackageName() + ".IndyProbe"), cb -> {
            cb.withFlags(AccessFlag.PUBLIC, AccessFlag.SUPER);
            cb.withMethodBody("run", MethodTypeDesc.of(ConstantDescs.CD_int),
                    ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, c -> c.invokedynamic(DynamicCallSiteDesc.of(
                            ConstantDescs.ofCallsiteBootstrap(ClassDesc.of(getClass().getName()), "bootstrap",
                                    ConstantDescs.CD_CallSite), "probe", MethodTypeDesc.of(ConstantDescs.CD_int)))
                            .ireturn());
        });
        Class<?> c = MethodHandles.lookup().defineClass(indy);
        assertThat((int) c.getMethod("run").invoke(null)).isEqualTo(HeldMonitors.IN_LINKAGE);
        assertThat(HeldMonitors.check()).isEqualTo(HeldMonitors.NOT_HELD);
    }

    static CallSite bootstrap(MethodHandles.Lookup lookup, String name, MethodType type) {
        return new ConstantCallSite(MethodHandles.constant(int.class, HeldMonitors.check()));
    }

    private static final class InitProbe {
        static final int SEEN = HeldMonitors.check();
        static final int SEEN_LOCKED;
        static final boolean HELD_LOCKED;

        static {
            synchronized (InitProbe.class) {
                SEEN_LOCKED = HeldMonitors.check();
                HELD_LOCKED = HeldMonitors.heldByCurrentThread();
            }
        }
    }

    private static synchronized boolean lockedCaller() {
        return callee();
    }

    private static boolean callee() {
        return HeldMonitors.heldByCurrentThread();
    }
}
