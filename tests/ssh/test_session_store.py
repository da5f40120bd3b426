"""A session process's store (console.ssh.session_process): its connections read the
database through a shared mapping of the file and keep a small cache of their own."""

from __future__ import annotations

from console.ssh.session_process import CACHE_KIB, MMAP_BYTES, lean_connections
from store.database import Store


async def test_a_sessions_connections_map_the_file_and_keep_a_small_cache(tmp_path):
    db = tmp_path / "estate.db"
    await (await Store.open(path=db)).close()  # created and migrated, as serve leaves it
    store = await Store.open(path=db, migrate=False)  # as a session opens it
    try:
        lean_connections(store)
        async with store.engine.connect() as conn:
            mmap = (await conn.exec_driver_sql("PRAGMA mmap_size")).scalar()
            cache = (await conn.exec_driver_sql("PRAGMA cache_size")).scalar()
        assert (mmap, cache) == (MMAP_BYTES, -CACHE_KIB)
    finally:
        await store.close()
