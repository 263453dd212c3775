-- Browser strings and referers are no longer kept in clear: clicks store a keyed hash
-- of the browser and, of the referer, only the coupon site it names. Earlier rows
-- cannot be hashed here (the key is not in the database), so they are cleared, as are
-- participants' unkeyed browser hashes, which nothing compares with any more.
UPDATE clicks SET user_agent = NULL, referer = NULL;
UPDATE participants SET ua_hash = NULL;
