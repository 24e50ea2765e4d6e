package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The restricted pickle reader against pickles written by CPython 3.11 and NumPy 2.4. */
class PickleReaderTest {

    /*
     * pickle.dumps(d, protocol=p) for p = 2, 4, 5 of
     * d = {'data': np.arange(6, dtype=np.uint8).reshape(2, 3),
     *      'labels': np.array([7, -1], dtype='<i8'), 'big': np.array([1, 2], dtype='>i4'),
     *      'fine_labels': [1, 0], 'name': 'x', 'f': 1.5, 'n': None,
     *      't': (True, 2**70, -5, 300, 70000)}
     */
    private static final String[] NUMPY_PICKLES = {
        "gAJ9cQAoWAQAAABkYXRhcQFjbnVtcHkuX2NvcmUubXVsdGlhcnJheQpfcmVjb25zdHJ1Y3QKcQJj"
                + "bnVtcHkKbmRhcnJheQpxA0sAhXEEY19jb2RlY3MKZW5jb2RlCnEFWAEAAABicQZYBgAAAGxhdGlu"
                + "MXEHhnEIUnEJh3EKUnELKEsBSwJLA4ZxDGNudW1weQpkdHlwZQpxDVgCAAAAdTFxDomIh3EPUnEQ"
                + "KEsDWAEAAAB8cRFOTk5K/////0r/////SwB0cRJiiWgFWAYAAAAAAQIDBAVxE2gHhnEUUnEVdHEW"
                + "YlgGAAAAbGFiZWxzcRdoAmgDSwCFcRhoCYdxGVJxGihLAUsChXEbaA1YAgAAAGk4cRyJiIdxHVJx"
                + "HihLA1gBAAAAPHEfTk5OSv////9K/////0sAdHEgYoloBVgYAAAABwAAAAAAAADDv8O/w7/Dv8O/"
                + "w7/Dv8O/cSFoB4ZxIlJxI3RxJGJYAwAAAGJpZ3ElaAJoA0sAhXEmaAmHcSdScSgoSwFLAoVxKWgN"
                + "WAIAAABpNHEqiYiHcStScSwoSwNYAQAAAD5xLU5OTkr/////Sv////9LAHRxLmKJaAVYCAAAAAAA"
                + "AAEAAAACcS9oB4ZxMFJxMXRxMmJYCwAAAGZpbmVfbGFiZWxzcTNdcTQoSwFLAGVYBAAAAG5hbWVx"
                + "NVgBAAAAeHE2WAEAAABmcTdHP/gAAAAAAABYAQAAAG5xOE5YAQAAAHRxOSiIigkAAAAAAAAAAEBK"
                + "+////00sAUpwEQEAdHE6dS4=",
        "gASVmgEAAAAAAAB9lCiMBGRhdGGUjBZudW1weS5fY29yZS5tdWx0aWFycmF5lIwMX3JlY29uc3Ry"
                + "dWN0lJOUjAVudW1weZSMB25kYXJyYXmUk5RLAIWUQwFilIeUUpQoSwFLAksDhpRoBYwFZHR5cGWU"
                + "k5SMAnUxlImIh5RSlChLA4wBfJROTk5K/////0r/////SwB0lGKJQwYAAQIDBAWUdJRijAZsYWJl"
                + "bHOUaARoB0sAhZRoCYeUUpQoSwFLAoWUaA6MAmk4lImIh5RSlChLA4wBPJROTk5K/////0r/////"
                + "SwB0lGKJQxAHAAAAAAAAAP//////////lHSUYowDYmlnlGgEaAdLAIWUaAmHlFKUKEsBSwKFlGgO"
                + "jAJpNJSJiIeUUpQoSwOMAT6UTk5OSv////9K/////0sAdJRiiUMIAAAAAQAAAAKUdJRijAtmaW5l"
                + "X2xhYmVsc5RdlChLAUsAZYwEbmFtZZSMAXiUjAFmlEc/+AAAAAAAAIwBbpROjAF0lCiIigkAAAAA"
                + "AAAAAEBK+////00sAUpwEQEAdJR1Lg==",
        "gAWVewEAAAAAAAB9lCiMBGRhdGGUjBNudW1weS5fY29yZS5udW1lcmljlIwLX2Zyb21idWZmZXKU"
                + "k5QolgYAAAAAAAAAAAECAwQFlIwFbnVtcHmUjAVkdHlwZZSTlIwCdTGUiYiHlFKUKEsDjAF8lE5O"
                + "Tkr/////Sv////9LAHSUYksCSwOGlIwBQ5R0lFKUjAZsYWJlbHOUaAQolhAAAAAAAAAABwAAAAAA"
                + "AAD//////////5RoCIwCaTiUiYiHlFKUKEsDjAE8lE5OTkr/////Sv////9LAHSUYksChZRoD3SU"
                + "UpSMA2JpZ5RoBCiWCAAAAAAAAAAAAAABAAAAApRoCIwCaTSUiYiHlFKUKEsDjAE+lE5OTkr/////"
                + "Sv////9LAHSUYksChZRoD3SUUpSMC2ZpbmVfbGFiZWxzlF2UKEsBSwBljARuYW1llIwBeJSMAWaU"
                + "Rz/4AAAAAAAAjAFulE6MAXSUKIiKCQAAAAAAAAAAQEr7////TSwBSnARAQB0lHUu"
    };

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void readsNumpyArraysAndPlainDataOfProtocols2To5(int which) throws IOException {
        Object value =
                PickleReader.read(
                        new ByteArrayInputStream(Base64.getDecoder().decode(NUMPY_PICKLES[which])),
                        "fixture");
        Map<?, ?> d = (Map<?, ?>) value;
        PickleReader.NumpyArray data = (PickleReader.NumpyArray) d.get("data");
        assertEquals("u1", data.dtype());
        assertArrayEquals(new int[] {2, 3}, data.shape());
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5}, data.data());
        assertArrayEquals(new long[] {7, -1}, ((PickleReader.NumpyArray) d.get("labels")).longs());
        assertArrayEquals(new long[] {1, 2}, ((PickleReader.NumpyArray) d.get("big")).longs());
        assertEquals(List.of(1L, 0L), d.get("fine_labels"));
        assertEquals("x", d.get("name"));
        assertEquals(1.5, d.get("f"));
        assertTrue(d.containsKey("n"));
        assertNull(d.get("n"));
        assertEquals(List.of(true, BigInteger.TWO.pow(70), -5L, 300L, 70000L), d.get("t"));
    }

    @Test
    void refusesImportsThatCouldRunCode() {
        // pickle.dumps(os.system, protocol=2)
        CareException e =
                assertThrows(CareException.class, () -> read("gAJjcG9zaXgKc3lzdGVtCnEALg=="));
        assertTrue(e.getMessage().contains("import of posix.system refused"), e.getMessage());
        assertTrue(e.getMessage().startsWith("evil.pkl: byte 2:"), e.getMessage());
    }

    @Test
    void refusesObjectConstructionOpcodes() {
        // pickle.dumps(A(), protocol=2) for a class A in __main__: GLOBAL __main__.A is refused
        // first
        assertThrows(CareException.class, () -> read("gAJjX19tYWluX18KQQpxACmBcQEu"));
        // NEWOBJ, INST, BINPERSID, REDUCE on a non-callable, BUILD on a dict, out-of-band buffer
        for (byte[] program :
                List.of(
                        new byte[] {(byte) 0x80, 2, ')', ')', (byte) 0x81, '.'},
                        "(ios\nsystem\n.".getBytes(),
                        new byte[] {(byte) 0x80, 2, 'K', 1, 'Q', '.'},
                        new byte[] {(byte) 0x80, 2, 'K', 1, ')', 'R', '.'},
                        new byte[] {(byte) 0x80, 2, '}', '}', 'b', '.'},
                        new byte[] {(byte) 0x80, 5, (byte) 0x97, '.'})) {
            CareException e =
                    assertThrows(
                            CareException.class,
                            () -> PickleReader.read(new ByteArrayInputStream(program), "evil.pkl"));
            assertTrue(e.getMessage().contains("refused"), e.getMessage());
        }
    }

    @Test
    void refusesNumpyCallsWithUnexpectedArguments() {
        CifarFixtures.Py2Pickle p = new CifarFixtures.Py2Pickle();
        p.op(0x80).op(2).global("numpy.core.multiarray", "_reconstruct").global("os", "system");
        CareException e =
                assertThrows(
                        CareException.class,
                        () -> PickleReader.read(new ByteArrayInputStream(p.bytes()), "evil.pkl"));
        assertTrue(e.getMessage().contains("import of os.system refused"), e.getMessage());
        CifarFixtures.Py2Pickle q = new CifarFixtures.Py2Pickle();
        q.op(0x80)
                .op(2)
                .global("_codecs", "encode")
                .str("x")
                .str("utf-16")
                .op(0x86)
                .op('R')
                .op('.');
        assertThrows(
                CareException.class,
                () -> PickleReader.read(new ByteArrayInputStream(q.bytes()), "q"));
    }

    private static Object read(String base64) throws IOException {
        return PickleReader.read(
                new ByteArrayInputStream(Base64.getDecoder().decode(base64)), "evil.pkl");
    }
}
