package huawei

// ProfileReads is how many times d has read a profile file (tests only).
func (d *Driver) ProfileReads() int {
	d.creds.mu.Lock()
	defer d.creds.mu.Unlock()
	return d.creds.profileReads
}
