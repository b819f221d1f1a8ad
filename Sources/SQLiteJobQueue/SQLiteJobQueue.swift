// Module SQLiteJobQueue.
