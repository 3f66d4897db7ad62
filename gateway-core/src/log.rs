//! Access-log and event lines in text or JSON, level-filtered, never carrying secrets.
