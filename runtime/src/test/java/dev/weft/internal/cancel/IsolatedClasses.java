package dev.weft.internal.cancel;

import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;

/**
 * A fresh copy of Weft's classes (main and test) in which the assertions of the classes that assert
 * {@code Thread.holdsLock} ({@link WaitQueue}, {@link WaitingTask}) are off and every other class keeps them on: for
 * Lincheck's model checker, whose emulated monitors make {@code Thread.holdsLock} false. A Lincheck test's
 * {@code Ops} interface (a nested {@code *LincheckTest.Ops}) stays shared with the test's loader.
 */
final class IsolatedClasses extends URLClassLoader {
    static {
        registerAsParallelCapable();
    }

    private IsolatedClasses() {
        super(new URL[] {location(WaitQueue.class), location(IsolatedClasses.class)},
                IsolatedClasses.class.getClassLoader());
        setDefaultAssertionStatus(true);
        setClassAssertionStatus(WaitQueue.class.getName(), false);
        setClassAssertionStatus(WaitingTask.class.getName(), false);
    }

    /** A new instance of {@code impl}'s isolated copy, seen through the shared interface {@code api}. */
    static <T> T newInstance(Class<? extends T> impl, Class<T> api) {
        try {
            return api.cast(Holder.LOADER.loadClass(impl.getName()).getConstructor().newInstance());
        } catch (ReflectiveOperationException e) {
            Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
            throw new AssertionError(cause);
        }
    }

    private static final class Holder {
        static final IsolatedClasses LOADER = new IsolatedClasses();
    }

    private static URL location(Class<?> c) {
        return c.getProtectionDomain().getCodeSource().getLocation();
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith("dev.weft.") || isSharedInterface(name)) {
            return super.loadClass(name, resolve); // Lincheck, JUnit, the JDK, the shared interfaces
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                c = findClass(name); // child first: Weft's own classes are copied
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    private static boolean isSharedInterface(String name) {
        return name.endsWith("LincheckTest$Ops");
    }
}
